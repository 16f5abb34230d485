"""Checks on what technicians upload: drawn signatures (PNG data URLs) and job photos (JPEG/PNG).

Pure Python (zlib + struct), so no imaging library is needed: a PNG is walked chunk by chunk with
its CRCs checked and its pixels inflated (a blank canvas is refused); a JPEG must start with SOI and
end with EOI. Anything else is refused with a translatable message.
"""
import base64
import binascii
import struct
import zlib

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_SIGNATURE_BYTES = 1024 * 1024
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_SIDE = 8000
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def _png_info(data: bytes) -> dict:
    """Walk the chunks; return width, height and the inflated image data. Raises ValueError."""
    if not data.startswith(PNG_MAGIC):
        raise ValueError("magic")
    pos = len(PNG_MAGIC)
    info, idat, seen_end = {}, [], False
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        ctype = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length] or b"\0\0\0\0")
        if len(body) != length or zlib.crc32(ctype + body) != crc:
            raise ValueError("crc")
        if not info and ctype != b"IHDR":
            raise ValueError("ihdr")
        if ctype == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE) or color not in _CHANNELS:
                raise ValueError("size")
            info = {"width": width, "height": height, "depth": depth, "color": color}
        elif ctype == b"IDAT":
            idat.append(body)
        elif ctype == b"IEND":
            seen_end = True
            break
        pos += 12 + length
    if not info or not idat or not seen_end:
        raise ValueError("structure")
    info["pixels"] = zlib.decompressobj().decompress(b"".join(idat), 64 * 1024 * 1024)
    return info


def png_is_blank(info: dict) -> bool:
    """True when every pixel byte is zero (signature_pad's transparent, untouched canvas)."""
    row = 1 + (info["width"] * _CHANNELS[info["color"]] * info["depth"] + 7) // 8
    pixels = info["pixels"]
    for r in range(info["height"]):
        line = pixels[r * row + 1:(r + 1) * row]  # skip the filter-type byte
        if line.strip(b"\0"):
            return False
    return True


def signature_from_data_url(value: str) -> bytes:
    """A signature drawn on the canvas: 'data:image/png;base64,…' → the validated PNG bytes."""
    prefix = "data:image/png;base64,"
    if not value or not value.startswith(prefix):
        raise ValidationError(_("Ask the customer to sign in the box."), code="signature_missing")
    if len(value) > MAX_SIGNATURE_BYTES * 4 // 3 + len(prefix) + 4:
        raise ValidationError(_("The signature image is too large."), code="signature_too_large")
    try:
        data = base64.b64decode(value[len(prefix):], validate=True)
        info = _png_info(data)
    except (binascii.Error, ValueError, zlib.error, struct.error):
        raise ValidationError(_("The signature is not a valid PNG image."), code="signature_invalid") from None
    if png_is_blank(info):
        raise ValidationError(_("The signature box is empty: ask the customer to sign."), code="signature_blank")
    return data


def check_photo(upload) -> str:
    """A job photo: JPEG or PNG, at most 5 MB. Returns the file extension to store it under."""
    if upload.size > MAX_PHOTO_BYTES:
        raise ValidationError(_("A photo may be at most 5 MB."), code="photo_too_large")
    name = (upload.name or "").lower()
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    if ext in ("jpg", "jpeg") and data[:3] == b"\xff\xd8\xff" and data.rstrip(b"\0")[-2:] == b"\xff\xd9":
        return "jpg"
    if ext == "png":
        try:
            _png_info(data)
            return "png"
        except (ValueError, zlib.error, struct.error):
            pass
    raise ValidationError(_("Upload a JPEG or PNG photo."), code="photo_type")
