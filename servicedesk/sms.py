"""How many SMS parts a text costs: ``sms_segments(text) -> (segments, characters)``.

What is implemented is the GSM rule every handset and gateway applies on the air (3GPP TS 23.038 /
23.040):

* a text made only of GSM-7 characters (the basic table; ``^ { } \\ [ ] ~ | €`` and form feed from the
  extension table take two septets each) fits 160 septets in one SMS; longer, it is split into
  concatenated parts of 153 septets (7 go to the part header);
* any other character (Chinese, most emoji, curly quotes) makes the whole text UCS-2: 70 UTF-16 code
  units in one SMS, 67 per concatenated part. A character outside the Basic Multilingual Plane (most
  emoji) is a surrogate pair: two units.

A part never ends in the middle of a character: an escaped GSM character or a surrogate pair that
does not fit moves whole to the next part (what handsets do), so a part may hold 152 septets or 66 units.

``characters`` is the count in the chosen encoding: septets for GSM-7, UTF-16 code units for UCS-2.

Chinese carriers (and Alibaba Cloud's billing for mainland numbers) count differently: every character
— Chinese, Latin letter, digit, punctuation — is one "字", the signature 【…】 counts too, and a
message is one part up to 70 字, else 67 字 per part, whatever the alphabet. For Chinese text that is
the UCS-2 rule above apart from the signature; for a pure ASCII text the carrier bills 70/67 where
this function says 160/153. Use this function for what reaches the handset, the carrier's own rule for
the bill.
"""
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("\f^{}\\[]~|€")  # sent as ESC + character: two septets

GSM_SINGLE, GSM_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


def _pack(units: list[int], single: int, part: int) -> int:
    """Parts needed for characters of these sizes, without splitting a character between parts."""
    if sum(units) <= single:
        return 1 if units else 0
    parts, used = 1, 0
    for size in units:
        if used + size > part:
            parts, used = parts + 1, 0
        used += size
    return parts


def is_gsm7(text: str) -> bool:
    return all(ch in GSM_BASIC or ch in GSM_EXTENSION for ch in text)


def sms_segments(text: str) -> tuple[int, int]:
    """(parts, characters) for ``text`` sent as one SMS; ``(0, 0)`` for an empty text."""
    if is_gsm7(text):
        units = [2 if ch in GSM_EXTENSION else 1 for ch in text]
        return _pack(units, GSM_SINGLE, GSM_PART), sum(units)
    units = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return _pack(units, UCS2_SINGLE, UCS2_PART), sum(units)
