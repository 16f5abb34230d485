"""Times as the busiest pages print them: local_stamp, and django.utils.timesince's timesince and timeuntil with
their words memoised per language.

Django's functions build each unit's words through a lazy ngettext (a translation lookup, a plural
choice, a wrapper) on every call: ~50 µs, and the ticket list asks for 25 to 50 of them per page (the
age column and the SLA column). Here Django's own arithmetic runs unchanged, on stand-in unit strings
("\\x00hour:3"), and the words for that combination are made once per language by Django's own
TIME_STRINGS and avoid_wrapping: the same text for the same moments, in a dictionary lookup.
"""
from django.utils import timesince as django_timesince
from django.utils import timezone
from django.utils.html import avoid_wrapping
from django.utils.translation import get_language, gettext

def local_stamp(value) -> str:
    """YYYY-MM-DD HH:MM in the active time zone (the template filter date:"Y-m-d H:i", without its cost)."""
    local = value.astimezone(timezone.get_current_timezone())
    return f"{local.year:04d}-{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"


_STAND_INS = {name: f"\x00{name}:%(num)d" for name in django_timesince.TIME_STRINGS}
_MEMO: dict[tuple[str | None, str], str] = {}


def _words(marked: str) -> str:
    key = (get_language(), marked)
    text = _MEMO.get(key)
    if text is None:
        separator = gettext(", ")
        parts = []
        for part in marked.split(separator):
            name, num = part[1:].split(":")
            parts.append(avoid_wrapping(django_timesince.TIME_STRINGS[name] % {"num": int(num)}))
        text = separator.join(parts)
        if len(_MEMO) >= 4096:
            _MEMO.clear()
        _MEMO[key] = text
    return text


def timesince(d, now=None, depth=2) -> str:
    return _words(django_timesince.timesince(d, now, time_strings=_STAND_INS, depth=depth))


def timeuntil(d, now=None, depth=2) -> str:
    return _words(django_timesince.timeuntil(d, now, time_strings=_STAND_INS, depth=depth))
