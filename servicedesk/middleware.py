import zoneinfo

from django.conf import settings
from django.core.exceptions import BadRequest
from django.utils import timezone, translation

# The signed-in person's language (StaffProfile.language), put in the session at login.
SESSION_LANGUAGE_KEY = "servicedesk_language"


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


class StaffLanguageMiddleware:
    """Staff read the app in their own language (issue 11 item 6): the profile's language, copied into
    the session at login (servicedesk.apps: user_logged_in), wins over the browser's; the language
    cookie follows it, so the login page after signing out is in it too. No query per request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = request.session.get(SESSION_LANGUAGE_KEY) if hasattr(request, "session") else None
        if language and translation.check_for_language(language):
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        if language and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language:
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
                                samesite=settings.LANGUAGE_COOKIE_SAMESITE)
        return response


def activate_staff_language(sender, request, user, **kwargs):
    """user_logged_in: the language stored for this person becomes the session's."""
    from .models import StaffProfile

    language = StaffProfile.objects.filter(user_id=user.pk).values_list("language", flat=True).first()
    if language and request is not None and hasattr(request, "session"):
        request.session[SESSION_LANGUAGE_KEY] = language
        translation.activate(language)


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
