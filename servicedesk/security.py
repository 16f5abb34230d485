"""Signing out idle sessions (shared front-desk PCs).

A signed-in session records when its user last did something (`LAST_SEEN`, epoch seconds). A request
after SESSION_IDLE_TIMEOUT seconds of silence signs the user out and says why on the login page.
The stamp is rewritten at most once a minute, so an active user costs one session write a minute,
not one per request. Background refreshes (the queue and SLA dashboard poll with the header
`X-Background-Refresh`) are not activity: a PC left on the dashboard still locks.
"""
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, user_logged_in
from django.dispatch import receiver
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import ngettext

LAST_SEEN = "servicedesk_last_seen"
BACKGROUND_HEADER = "HTTP_X_BACKGROUND_REFRESH"


def _now() -> int:
    return int(timezone.now().timestamp())


@receiver(user_logged_in, dispatch_uid="servicedesk.security.stamp_login")
def stamp_login(sender, request, user, **kwargs):
    """Signing in is activity: the session is being written anyway, so stamp it now."""
    if request is not None and hasattr(request, "session"):
        request.session[LAST_SEEN] = _now()


class IdleSessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timeout = settings.SESSION_IDLE_TIMEOUT
        if timeout and hasattr(request, "session") and request.user.is_authenticated:
            now = _now()
            seen = request.session.get(LAST_SEEN)
            if seen is not None and now - seen > timeout:
                return self._signed_out(request, timeout)
            if request.META.get(BACKGROUND_HEADER) != "1" and (seen is None or now - seen >= min(60, timeout // 2)):
                request.session[LAST_SEEN] = now
        return self.get_response(request)

    def _signed_out(self, request, timeout: int):
        logout(request)
        minutes = max(1, timeout // 60)
        messages.info(
            request,
            ngettext(
                "You were signed out after %(minutes)d minute without activity.",
                "You were signed out after %(minutes)d minutes without activity.",
                minutes,
            )
            % {"minutes": minutes},
        )
        if request.headers.get("HX-Request") == "true":
            # An htmx fragment must not swap the login page into the middle of a page: reload to it.
            current = urlsplit(request.headers.get("HX-Current-URL", ""))
            page = current.path + (f"?{current.query}" if current.query else "")
            login = resolve_url(settings.LOGIN_URL)
            return HttpResponse(headers={"HX-Redirect": f"{login}?{urlencode({'next': page})}" if page else login})
        return self.get_response(request)
