import zoneinfo

from django.conf import settings
from django.core.exceptions import BadRequest
from django.utils import timezone


class TimezoneMiddleware:
    """Show times in the user's zone when they chose one, else the department's (settings.TIME_ZONE)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tzname = request.session.get("django_timezone") if hasattr(request, "session") else None
        if tzname:
            try:
                timezone.activate(zoneinfo.ZoneInfo(tzname))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.activate(zoneinfo.ZoneInfo(settings.TIME_ZONE))
        else:
            timezone.deactivate()
        return self.get_response(request)


class RejectNulBytesMiddleware:
    """A NUL byte in a query parameter or form field answers 400 (issue 13).

    No text the app stores or searches may hold one: PostgreSQL refuses it ("A string literal cannot
    contain NUL characters", a ValueError from psycopg2) and SQLite silently cuts the string there.
    Forms' CharFields already reject it; this covers the parameters views read directly, in one place.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request.GET) or (request.method == "POST" and _form_encoded(request) and _has_nul(request.POST)):
            raise BadRequest("NUL byte in the request's parameters")
        return self.get_response(request)


def _form_encoded(request) -> bool:
    return request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(data) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in data.lists())
