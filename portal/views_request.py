"""The public online request form (issue 15 item 3): one page, works without JavaScript.

"Send code" is a submit button (``do=send_code``) that re-renders the page with everything typed
kept and the code field shown; with htmx it posts just the mobile to ``request/code/`` and swaps the
code block. The final submit (``do=submit``) ends in a redirect to the done page (post/redirect/get).
Browsers never re-send chosen files on a re-rendered page, so whenever a page with files comes back
the customer is told to choose them again; the typed text is always kept.

Rate limits: every request to these pages shares the public pages' general limit (PORTAL_RATE_LIMIT,
as the status page); sending a code and a complete submission each count against
PortalSettings.requests_per_ip_hour per address (an incomplete form costs us nothing and is not
counted, so a customer correcting a typo is not locked out). The per-mobile daily limit is the
service's (portal/intake.py), counted in the database. Refusals by a limit answer 429 with the form.
"""
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from servicedesk.ratelimit import client_ip, over_limit

from . import intake
from .forms_request import HONEYPOT, MobileForm, OnlineRequestForm
from .models import PortalSettings
from .services import PortalLinkError, status_token, ticket_for_token
from .views import _rate_limited, public_context, public_language

KEPT_FIELDS = ("name", "mobile", "kind", "product", "description", "contact_time")
LIMIT_CODES = {"wait", "mobile_limit", "mobile_codes_limit"}


def _over_address_limit(request) -> bool:
    """One code sent or one complete submission: PortalSettings.requests_per_ip_hour per address."""
    return over_limit(scope="portal-request", ident=client_ip(request),
                      limit=PortalSettings.current().requests_per_ip_hour, window=3600)


def _address_limit_message() -> str:
    return _("Too many requests came from your network in the last hour. Your text is kept: please try "
             "again later, or call our hotline.")


def _here(lang: str) -> str:
    return reverse("portal:request") + f"?lang={lang}"


def _kept(request) -> dict:
    """What the customer typed, as the initial values of a fresh (error-free) form."""
    return {name: request.POST.get(name, "") for name in KEPT_FIELDS}


def _send_code(request, lang: str) -> tuple[dict, int]:
    """Text a code to the posted mobile. Returns (code block status, HTTP status)."""
    form = MobileForm(request.POST)
    if not form.is_valid():
        return {"ok": False, "text": " ".join(form.errors["mobile"])}, 400
    if _over_address_limit(request):
        return {"ok": False, "text": _address_limit_message()}, 429
    try:
        intake.verification_code_send(mobile=form.cleaned_data["mobile"], ip=client_ip(request), now=timezone.now(),
                                      language=lang)
    except ValidationError as exc:
        return {"ok": False, "text": " ".join(exc.messages)}, 429 if exc.code in LIMIT_CODES else 400
    masked = intake.mobile_masked(form.cleaned_data["mobile"])
    return {"ok": True, "text": _("We sent a code to %(mobile)s. It is valid for 10 minutes.") % {"mobile": masked}}, 200


def _page(request, lang: str, form, *, code_status=None, show_code=False, alert="", status=200):
    files_lost = request.method == "POST" and bool(request.FILES)
    return render(request, "portal/request.html", {
        "form": form, "lang": lang, "here": _here(lang), "code_status": code_status,
        "show_code": show_code or code_status is not None, "alert": alert, "files_lost": files_lost,
        "honeypot": HONEYPOT, **public_context(lang),
    }, status=status)


@never_cache
def request_form(request):
    """GET: the empty form. POST ``do=send_code``: text a code, page again. POST ``do=submit``: the request."""
    lang = public_language(request)
    with translation.override(lang):
        if _rate_limited(request):
            return render(request, "portal/problem.html", {"kind": "rate", **public_context(lang)}, status=429)
        if request.method == "GET":
            return _page(request, lang, OnlineRequestForm())
        if request.method != "POST":
            return HttpResponseNotAllowed(["GET", "POST"])
        if request.POST.get("do") == "send_code":
            code_status, status = _send_code(request, lang)
            return _page(request, lang, OnlineRequestForm(initial=_kept(request)), code_status=code_status,
                         status=status)
        return _submit(request, lang)


def _submit(request, lang: str):
    form = OnlineRequestForm(request.POST, request.FILES)
    if form.is_bot():  # pretend it worked; nothing is created, nothing is counted
        return HttpResponseRedirect(reverse("portal:request_done") + f"?lang={lang}")
    if not form.is_valid():
        return _page(request, lang, form, show_code=True, status=400)
    if _over_address_limit(request):
        return _page(request, lang, OnlineRequestForm(initial=_kept(request)), show_code=True,
                     alert=_address_limit_message(), status=429)
    data = form.cleaned_data
    online = intake.OnlineRequest(name=data["name"], mobile=data["mobile"], kind=data["kind"],
                                  description=data["description"], product=data["product"],
                                  contact_time=data["contact_time"], language=lang)
    try:
        ticket, _created = intake.online_request_create(request=online, code=data["code"], files=data["photos"],
                                                        now=timezone.now())
    except ValidationError as exc:
        if exc.code in ("mobile_limit",):
            return _page(request, lang, form, show_code=True, alert=" ".join(exc.messages), status=429)
        field = "code" if exc.code in ("no_code", "used", "locked", "expired", "wrong") else None
        form.add_error(field, exc)
        return _page(request, lang, form, show_code=True, status=400)
    return HttpResponseRedirect(reverse("portal:request_done", args=[status_token(ticket)]) + f"?lang={lang}")


def request_code(request):
    """htmx: "Send code" posts just the mobile; the answer is the code block (always 200: htmx swaps it)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    lang = public_language(request)
    if not request.headers.get("HX-Request"):
        return HttpResponseRedirect(_here(lang))
    with translation.override(lang):
        if _rate_limited(request):
            code_status = {"ok": False, "text": _address_limit_message()}
        else:
            code_status, _status = _send_code(request, lang)
        return render(request, "portal/_request_code.html", {
            "form": OnlineRequestForm(), "code_status": code_status, "show_code": True, "lang": lang})


@never_cache
def request_done(request, token: str = ""):
    """After the redirect: the ticket number and the status link (the SMS brings the same link)."""
    lang = public_language(request)
    ticket = None
    if token:
        try:
            ticket = ticket_for_token(token)
        except PortalLinkError:
            ticket = None
    with translation.override(lang):
        status_url = reverse("portal:status", args=[token]) + f"?lang={lang}" if ticket else ""
        return render(request, "portal/request_done.html", {
            "ticket": ticket, "status_url": status_url, "lang": lang, "here": _here(lang),
            "kind_label": ticket.get_kind_display() if ticket else "", **public_context(lang)})
