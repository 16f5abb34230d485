import pytest
from django.core.exceptions import ValidationError

from customers.phones import digits_for_search, normalise_phone
from customers.selectors import phone_prefix_range, ticket_number_normalised


@pytest.mark.parametrize(
    "raw, e164, national",
    [
        ("13812345678", "+8613812345678", "13812345678"),
        ("138 1234 5678", "+8613812345678", "13812345678"),
        ("138-1234-5678", "+8613812345678", "13812345678"),
        ("+86 13812345678", "+8613812345678", "13812345678"),
        ("+86 138 1234 5678", "+8613812345678", "13812345678"),
        ("0086 13812345678", "+8613812345678", "13812345678"),
        ("010-12345678", "+861012345678", "1012345678"),
        ("(010) 1234 5678", "+861012345678", "1012345678"),
        ("021-87654321", "+862187654321", "2187654321"),
        ("+1 650 253 0000", "+16502530000", "6502530000"),
    ],
)
def test_phone_normalisation(raw, e164, national):
    # when
    n = normalise_phone(raw)
    # then
    assert (n.e164, n.national) == (e164, national)


@pytest.mark.parametrize("raw", ["", "   ", "12345", "abc", "1" * 41, "138123456789999"])
def test_invalid_phones_are_refused_with_a_message(raw):
    with pytest.raises(ValidationError) as exc:
        normalise_phone(raw)
    assert exc.value.messages and exc.value.messages[0]


@pytest.mark.parametrize(
    "raw, digits",
    [("138 1234", "1381234"), ("+86 1381234", "1381234"), ("0086138", "138"), ("010-1234", "101234"), ("1381", "1381")],
)
def test_digits_for_search(raw, digits):
    assert digits_for_search(raw) == digits


@pytest.mark.parametrize(
    "digits, expected", [("1381", ("1381", "1382")), ("1389", ("1389", "139")), ("1999", ("1999", "2")), ("9999", ("9999", None))]
)
def test_phone_prefix_range(digits, expected):
    assert phone_prefix_range(digits) == expected


@pytest.mark.parametrize(
    "query, number",
    [("SR-2026-000123", "SR-2026-000123"), ("sr-2026-123", "SR-2026-000123"), (" cp - 2026 - 45 ", "CP-2026-000045"), ("SR2026", None), ("王芳", None)],
)
def test_ticket_number_normalised(query, number):
    assert ticket_number_normalised(query) == number
