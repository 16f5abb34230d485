"""The status page a customer opens from a signed link (issue 15 item 2), and the managers' pages.

Public views are thin: they read the link (portal.services.ticket_for_token), call one service per
action and redirect (post/redirect/get). Any link that does not open a ticket — forged, mistyped,
revoked, expired, another customer's id — gets the same friendly page with the same status code, so
a link cannot be used to learn whether a ticket exists.
"""
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _, gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from customers.phones import phone_display
from servicedesk.permissions import perm_required
from servicedesk.ratelimit import client_ip, over_limit

from . import selectors, services
from .forms import CustomerMessageForm, CustomerNoteForm
from .models import PortalSettings

LANGS = ("zh-hans", "en")


def public_language(request, default: str = "zh-hans") -> str:
    """?lang= wins (the switch), else the customer's language, else Chinese."""
    wanted = request.GET.get("lang") or request.POST.get("lang")
    return wanted if wanted in LANGS else (default if default in LANGS else "zh-hans")


def public_context(lang: str) -> dict:
    cfg = PortalSettings.current()
    hotline = cfg.hotline or getattr(settings, "SERVICE_PHONE", "")
    return {"public": {
        "name": selectors.public_name(cfg, lang), "lang": lang, "other_lang": "en" if lang == "zh-hans" else "zh-hans",
        "hotline": phone_display(hotline) if hotline.startswith("+") else hotline,
        "hotline_tel": "".join(ch for ch in hotline if ch.isdigit() or ch == "+"),
        "logo_url": cfg.logo.url if cfg.logo else "",
    }}


def _rate_limited(request) -> bool:
    limit, window = getattr(settings, "PORTAL_RATE_LIMIT", (60, 60))
    return over_limit(scope="portal", ident=client_ip(request), limit=limit, window=window)


def _problem(request, status: int, kind: str, lang: str):
    with translation.override(lang):
        return render(request, "portal/problem.html", {"kind": kind, **public_context(lang)}, status=status)


@never_cache
def status(request, token):
    """The customer's status page: GET shows it; POST does one action (message, callback, confirm, stop)."""
    if _rate_limited(request):
        return _problem(request, 429, "rate", public_language(request))
    now = timezone.now()
    try:
        ticket = services.ticket_for_token(token, now=now)
    except services.PortalLinkError:
        return _problem(request, 404, "invalid", public_language(request))
    lang = public_language(request, ticket.customer.preferred_language)
    here = reverse("portal:status", args=[token]) + f"?lang={lang}"
    with translation.override(lang):
        message_form = CustomerMessageForm(prefix="m")
        note_form = CustomerNoteForm(prefix="n")
        code = 200
        if request.method == "POST":
            action = request.POST.get("action", "")
            try:
                if action == "message":
                    message_form = CustomerMessageForm(request.POST, request.FILES, prefix="m")
                    if message_form.is_valid():
                        services.customer_reply_add(ticket=ticket, body=message_form.cleaned_data["body"],
                                                    files=message_form.cleaned_data["photos"], now=now)
                        messages.success(request, _("Thank you: your message is on your request and we have been told."))
                        return HttpResponseRedirect(here + "#messages")
                    code = 400
                elif action in ("callback", "fixed", "not_fixed"):
                    note_form = CustomerNoteForm(request.POST, prefix="n")
                    note = note_form.cleaned_data["note"] if note_form.is_valid() else ""
                    if action == "callback":
                        _cb, created = services.customer_callback_request(ticket=ticket, note=note, now=now)
                        messages.success(request, _("We will call you back within two working hours.") if created
                                         else _("You already asked for a call back; we will call you soon."))
                    elif action == "fixed":
                        services.customer_confirm(ticket=ticket, fixed=True, note=note, now=now)
                        messages.success(request, _("Thank you for confirming. Your request is closed."))
                    else:
                        result = services.customer_confirm(ticket=ticket, fixed=False, note=note, now=now)
                        if result["outcome"] == "reopened":
                            messages.warning(request, _("Sorry it is not fixed. Your request is open again and "
                                                        "we have been told."))
                        else:
                            messages.warning(request, _("Sorry it is not fixed. We opened complaint %(number)s "
                                                        "and a supervisor will contact you.")
                                             % {"number": result["ticket"].number})
                    return HttpResponseRedirect(here)
                elif action == "stop":
                    services.customer_stop_messages(ticket=ticket, now=now)
                    messages.info(request, _("You will get no more progress messages. We will still answer you "
                                             "when you write to us."))
                    return HttpResponseRedirect(here)
                else:
                    code = 400
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                code = 400
        page = selectors.status_page(ticket, now=now, language=lang)
        return render(request, "portal/status.html", {
            "page": page, "ticket": ticket, "message_form": message_form, "note_form": note_form,
            "lang": lang, "here": here, "stopped": ticket.customer.progress_messages_stopped,
            "kind_label": ticket.get_kind_display(), **public_context(lang),
        }, status=code)


# --- the ticket page's panel (staff): the customer's status link -----------------------------------
def _link_panel(request, ticket, *, note: str = "", tone: str = "success", status: int = 200):
    return render(request, "portal/_ticket_link_panel.html",
                  selectors.staff_link_panel(ticket, request.user, note=note, tone=tone), status=status)


def _staff_ticket(pk):
    from django.shortcuts import get_object_or_404

    from tickets.models import Ticket

    return get_object_or_404(Ticket.objects.select_related("customer"), pk=pk)


@perm_required("tickets.view_ticket")
def ticket_link_panel(request, pk):
    return _link_panel(request, _staff_ticket(pk))


OUTCOME_NOTES = {
    "queued": gettext_lazy("Queued for the customer with the status link: the outbox sends it within seconds."),
    "held": gettext_lazy("Queued; it is quiet hours, so the SMS goes when they end."),
    "no_address": gettext_lazy("Not sent: the customer has no mobile or e-mail on file. Read the link to them instead."),
}


@require_POST
@perm_required("tickets.view_ticket", "tickets.work_ticket")
def ticket_link_action(request, pk, action):
    ticket = _staff_ticket(pk)
    if action == "send":
        outcome = services.status_link_resend(ticket=ticket, actor=request.user)
        return _link_panel(request, ticket, note=str(OUTCOME_NOTES.get(outcome, outcome)),
                           tone="success" if outcome in ("queued", "held") else "warning")
    if action == "replace":
        services.status_links_revoke(ticket=ticket, actor=request.user)
        return _link_panel(request, ticket, note=_("The old link no longer opens the ticket. Send the new one."),
                           tone="warning")
    return _link_panel(request, ticket, status=400)


@csrf_exempt
@require_POST
def sms_inbound(request, token):
    """The SMS gateway's push of customers' replies (Alibaba Cloud's 上行短信 HTTP push: a JSON list of
    {"phone_number", "content", …}). The URL's token is the shared secret (SMS_INBOUND_TOKEN); the
    gateway expects {"code": 0} when the batch is taken."""
    import json
    import secrets as _secrets

    from django.http import Http404, JsonResponse

    expected = getattr(settings, "SMS_INBOUND_TOKEN", "")
    if not expected or not _secrets.compare_digest(expected.encode(), token.encode()):
        raise Http404
    try:
        payload = json.loads(request.body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"code": 1, "msg": "body is not JSON"}, status=400)
    if isinstance(payload, dict):
        payload = [payload]
    if not isinstance(payload, list):
        return JsonResponse({"code": 1, "msg": "expected a list of replies"}, status=400)
    counts = services.sms_replies_record(payload[:1000])
    return JsonResponse({"code": 0, "msg": "ok", **counts})
