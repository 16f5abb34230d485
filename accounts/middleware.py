from django.shortcuts import redirect
from django.urls import reverse

from .services import MUST_ENROL_SESSION_KEY


class TwoFactorEnrolmentMiddleware:
    """A person whose role requires two-step sign-in and who has no authenticator app yet is sent to set
    one up before anything else. Reads the session only (the flag is set at sign-in): no query per page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.get(MUST_ENROL_SESSION_KEY) and request.user.is_authenticated:
            allowed = (reverse("accounts:two_factor"), reverse("logout"), reverse("set_language"))
            if request.path not in allowed and not request.path.startswith(("/static/", "/media/")):
                return redirect("accounts:two_factor")
        return self.get_response(request)
