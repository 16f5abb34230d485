"""Attachment checks: size and type, with the type sniffed from the content, not trusted from the name."""
import io
import zipfile

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# extension → (content type, sniffer name)
ALLOWED = {
    "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "pdf": "application/pdf", "txt": "text/plain",
    "doc": "application/msword", "xls": "application/vnd.ms-excel",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _sniff(ext: str, head: bytes, file) -> bool:
    if ext in ("jpg", "jpeg"):
        return head.startswith(b"\xff\xd8\xff")
    if ext == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if ext == "pdf":
        return head.startswith(b"%PDF-")
    if ext in ("doc", "xls"):
        return head.startswith(OLE)
    if ext in ("docx", "xlsx"):
        if not head.startswith(b"PK\x03\x04"):
            return False
        file.seek(0)
        try:
            with zipfile.ZipFile(io.BytesIO(file.read())) as z:
                names = z.namelist()
        except zipfile.BadZipFile:
            return False
        return any(n.startswith("word/" if ext == "docx" else "xl/") for n in names)
    if ext == "txt":
        file.seek(0)
        data = file.read(65536)
        if b"\x00" in data:
            return False
        for enc in ("utf-8", "gb18030"):
            try:
                data.decode(enc)
                return True
            except UnicodeDecodeError:
                continue
        return False
    return False


def check_upload(file, *, max_mb: int) -> str:
    """Return the content type of an acceptable upload, or raise a ValidationError saying why not."""
    name = file.name or ""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in ALLOWED:
        raise ValidationError(
            _("“%(name)s”: this kind of file is not accepted. Use JPG, PNG, PDF, TXT, DOC(X) or XLS(X)."),
            code="file_type", params={"name": name},
        )
    if file.size > max_mb * 1024 * 1024:
        raise ValidationError(_("“%(name)s” is larger than %(mb)s MB."), code="file_size",
                              params={"name": name, "mb": max_mb})
    if file.size == 0:
        raise ValidationError(_("“%(name)s” is empty."), code="file_empty", params={"name": name})
    file.seek(0)
    head = file.read(16)
    ok = _sniff(ext, head, file)
    file.seek(0)
    if not ok:
        raise ValidationError(
            _("“%(name)s” does not look like a .%(ext)s file. Check the file and try again."),
            code="file_content", params={"name": name, "ext": ext},
        )
    return ALLOWED[ext]
