"""One small parser for what arrives in a URL or a form, with the ranges the app can hold (issue 13).

Python dates reach year 9999 and integers are unbounded, but the database and the time-zone
arithmetic are not: `date(9999, 12, 31) + timedelta(days=1)` overflows, SQLite cannot bind an
integer past 64 bits, and the business calendars only know a few decades. So every date, year and
id a person can type is checked here first, and a value outside the range is treated like any
other invalid input (the form says why; a bare query parameter is ignored or answers 400).
"""
from datetime import date, datetime

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import IntegerField as IntegerColumn
from django.db.models.lookups import In
from django.utils.translation import gettext_lazy as _

# The window a date may fall in: wide enough for any real record, narrow enough that a few days
# (or a month) either side, and any time zone, still make a valid date.
DATE_MIN = date(2000, 1, 1)
DATE_MAX = date(2100, 12, 31)
YEAR_MIN, YEAR_MAX = DATE_MIN.year, DATE_MAX.year
# A 64-bit signed integer: the largest id/amount SQLite and PostgreSQL's bigint can hold.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1

DATE_RANGE_MESSAGE = _("Enter a date between %(min)s and %(max)s.")


def _check_day(day: date) -> None:
    if not DATE_MIN <= day <= DATE_MAX:
        raise ValidationError(DATE_RANGE_MESSAGE, code="date_range",
                              params={"min": DATE_MIN.isoformat(), "max": DATE_MAX.isoformat()})


def validate_date_in_range(value) -> None:
    """Validator for dates and datetimes (model or form fields)."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        _check_day(value)


class DateField(forms.DateField):
    """A forms.DateField that only accepts dates in DATE_MIN..DATE_MAX."""

    default_validators = [validate_date_in_range]

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if getattr(widget, "input_type", None) == "date":  # the browser's picker keeps to the window too
            attrs.update(min=DATE_MIN.isoformat(), max=DATE_MAX.isoformat())
        return attrs


class DateTimeField(forms.DateTimeField):
    """A forms.DateTimeField that only accepts moments in DATE_MIN..DATE_MAX.

    The range is checked while parsing: making 0001-01-01 00:00 aware (or converting it to UTC to
    store it) is itself the OverflowError.
    """

    def to_python(self, value):
        try:
            result = super().to_python(value)
        except OverflowError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        validate_date_in_range(result)
        return result


class IntegerField(forms.IntegerField):
    """A forms.IntegerField that never lets a number past 64 bits reach the database."""

    def __init__(self, *, min_value=None, max_value=None, **kwargs):
        super().__init__(min_value=INT_MIN if min_value is None else min_value,
                         max_value=INT_MAX if max_value is None else max_value, **kwargs)


class YearField(IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", YEAR_MIN)
        kwargs.setdefault("max_value", YEAR_MAX)
        super().__init__(**kwargs)


# --- Bare query parameters (no form on the page) ------------------------------------------------------

def int_param(value, *, minimum: int = INT_MIN, maximum: int = INT_MAX) -> int | None:
    """An integer written in ASCII digits within [minimum, maximum], else None.

    str.isdigit() and int() both accept full-width and other Unicode digits ('２０２６'): only ASCII is
    an id here.
    """
    if value is None:
        return None
    text = str(value).strip()
    body = text[1:] if text[:1] in "+-" else text
    if not body or not body.isascii() or not body.isdigit() or len(body) > 19:
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None


def id_param(value) -> int | None:
    """A database id (1 .. 2**63-1) or None."""
    return int_param(value, minimum=1)


def year_param(value) -> int | None:
    """A calendar year the business calendars can hold, or None."""
    return int_param(value, minimum=YEAR_MIN, maximum=YEAR_MAX)


def date_param(value) -> date | None:
    """An ISO date (YYYY-MM-DD) within DATE_MIN..DATE_MAX, or None."""
    if not value or not isinstance(value, str) or not value.isascii():
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        return None
    return day if DATE_MIN <= day <= DATE_MAX else None


__all__ = [
    "DATE_MIN", "DATE_MAX", "YEAR_MIN", "YEAR_MAX", "INT_MIN", "INT_MAX",
    "DateField", "DateTimeField", "IntegerField", "YearField",
    "validate_date_in_range", "int_param", "id_param", "year_param", "date_param",
]


# --- The database's side: `pk__in=[10**21]` ------------------------------------------------------------
class IntegerFieldIn(In):
    """`in` on integer columns drops numbers no 64-bit column can hold.

    Django 5 already turns `pk=10**21` into "no rows" (IntegerFieldOverflow on exact/gt/lt), but not
    `pk__in=[10**21]`, which SQLite cannot even bind (OverflowError: a 500 from any multiple-choice
    form, the admin's among them). Such a value cannot match a row, so leaving it out changes nothing.
    """

    def get_prep_lookup(self):
        values = super().get_prep_lookup()
        if isinstance(values, (list, tuple, set)):
            # An emptied list is fine: In.process_rhs turns it into "no rows" (EmptyResultSet).
            values = [v for v in values if not (isinstance(v, int) and not INT_MIN <= v <= INT_MAX)]
        return values


IntegerColumn.register_lookup(IntegerFieldIn)  # AutoField and BigAutoField inherit it


def next_url(request, value, default: str) -> str:
    """A `next` a visitor sent, if it is a path on this site; else `default` (a URL name or path).

    Only paths: django.shortcuts.redirect() would take "9999-12-31" or "a\\x00b" for a URL name and
    fail to reverse it (a 500), and anything with a scheme or host could send people elsewhere.
    """
    from django.shortcuts import resolve_url
    from django.utils.http import url_has_allowed_host_and_scheme

    value = value if isinstance(value, str) else ""
    if value.startswith("/") and "\x00" not in value and url_has_allowed_host_and_scheme(
            value, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return value
    return resolve_url(default)
