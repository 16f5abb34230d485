"""Phone numbers as the department writes them, normalised to E.164 (domain.md §2)."""
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class NormalisedPhone:
    e164: str  # +8613812345678
    national: str  # 13812345678 / 1012345678 (no trunk 0): what people type and search by
    is_mobile: bool


def normalise_phone(raw: str, *, region: str | None = None) -> NormalisedPhone:
    """`138 1234 5678`, `+86 13812345678`, `010-12345678` → E.164; ValidationError if not a real number."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError(_("Enter a phone number."), code="required")
    if len(text) > 40:
        raise ValidationError(_("That phone number is too long."), code="too_long")
    try:
        parsed = phonenumbers.parse(text, region or settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise ValidationError(_("“%(value)s” is not a phone number."), code="invalid", params={"value": text})
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(_("“%(value)s” is not a valid phone number."), code="invalid", params={"value": text})
    number_type = phonenumbers.number_type(parsed)
    return NormalisedPhone(
        e164=phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
        national=str(parsed.national_number),
        is_mobile=number_type in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE),
    )


def phone_display(e164: str) -> str:
    """The one on-screen (and export) form of a stored number: Chinese numbers as people say them,
    without +86 (+8613572634817 → 135 7263 4817, +861012345678 → 010 1234 5678); foreign numbers
    international (+1 415-555-2671). Text that is not a number comes back unchanged."""
    if not e164:
        return ""
    try:
        parsed = phonenumbers.parse(e164, None if e164.startswith("+") else settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return e164
    home = phonenumbers.country_code_for_region(settings.PHONE_DEFAULT_REGION)
    fmt = phonenumbers.PhoneNumberFormat.NATIONAL if parsed.country_code == home else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(parsed, fmt)


def digits_for_search(raw: str) -> str:
    """The digits a person typed, without the country code or trunk 0, for prefix search."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    if raw.strip().startswith("+86") and digits.startswith("86"):
        digits = digits[2:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits.lstrip("0")
