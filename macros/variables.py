"""The ``{variables}`` a canned reply may use, and their values for one ticket.

The wording engine is the customer messages' (portal.messages.render): an unknown variable stays as
typed and the editing form refuses it before it is saved, so a typo never reaches a customer silently.
"""
from datetime import datetime

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from portal.messages import render, variables_used  # noqa: F401  (re-exported for the form and services)

VARIABLES = {
    "greeting": gettext_lazy("a polite address: 尊敬的王芳客户 / Dear Wang Fang"),
    "name": gettext_lazy("the customer's name"),
    "number": gettext_lazy("the ticket number"),
    "subject": gettext_lazy("the ticket's subject"),
    "promised": gettext_lazy("the promised answer time from the SLA clock"),
    "technician": gettext_lazy("the technician of the current visit"),
    "window": gettext_lazy("the visit window"),
    "survey": gettext_lazy("the customer's open survey link"),
    "link": gettext_lazy("the status page link"),
    "agent": gettext_lazy("your name"),
    "hotline": gettext_lazy("the hotline number"),
    "service": gettext_lazy("the department's public name"),
}


def greeting(name: str, language: str) -> str:
    if language.startswith("en"):
        return f"Dear {name}"
    return f"尊敬的{name}客户"


def _survey_link(ticket, now: datetime) -> str:
    from followups.models import SurveyInvitation
    from followups.services import survey_token
    from django.conf import settings
    from django.urls import reverse

    invitation = (SurveyInvitation.objects.filter(ticket=ticket, used_at__isnull=True, expires_at__gt=now)
                  .order_by("-expires_at").first())
    if invitation is None:
        return ""
    # The same SITE_URL rule as every link we send (portal.services.status_url, the survey message).
    base = (getattr(settings, "SITE_URL", "") or "http://127.0.0.1:8000").rstrip("/")
    return base + reverse("followups:survey", args=[survey_token(invitation)])


def reply_values(ticket, *, actor, language: str, now: datetime | None = None) -> dict:
    """Every variable's value for ``ticket`` in ``language`` (a handful of reads: clocks, the current
    visit, the open survey, the status link)."""
    from dispatch.models import WorkOrder
    from portal.models import PortalSettings
    from portal.selectors import VISIT_STATUSES, _promised, moment_text, public_name, technician_text, window_text
    from portal.services import status_link
    from sla.selectors import ticket_deadlines

    now = now or timezone.now()
    cfg = PortalSettings.current()
    wo = (WorkOrder.objects.filter(ticket=ticket, status__in=VISIT_STATUSES).exclude(status="done")
          .select_related("technician__user").order_by("-window_start").first())
    with translation.override(language):
        name = ticket.customer.name
        return {
            "greeting": greeting(name, language),
            "name": name,
            "number": ticket.number,
            "subject": ticket.subject,
            "promised": moment_text(_promised(ticket, ticket_deadlines(ticket)), language),
            "technician": technician_text(wo.technician.user, language) if wo is not None and wo.technician_id else "",
            "window": window_text(wo.window_start, wo.window_end, language) if wo is not None else "",
            "survey": _survey_link(ticket, now),
            "link": status_link(ticket, now=now),
            "agent": (actor.get_full_name() or actor.get_username()) if actor is not None else "",
            "hotline": cfg.hotline,
            "service": public_name(cfg, language),
        }


def sample_values(language: str) -> dict:
    """Example values for the preview on the editing page."""
    if language.startswith("en"):
        return {"greeting": "Dear Wang Fang", "name": "Wang Fang", "number": "SR-2026-000123",
                "subject": "Air conditioner leaking", "promised": "30 Nov 12:00", "technician": "technician Zhang",
                "window": "1 Dec 09:00–11:00", "survey": "https://example.cn/s/…", "link": "https://example.cn/t/…",
                "agent": "Li Na", "hotline": "400-800-1234", "service": "Customer service"}
    return {"greeting": "尊敬的王芳客户", "name": "王芳", "number": "SR-2026-000123", "subject": "空调漏水",
            "promised": "11月30日 12:00", "technician": "张师傅", "window": "12月1日 09:00–11:00",
            "survey": "https://example.cn/s/…", "link": "https://example.cn/t/…", "agent": "李娜",
            "hotline": "400-800-1234", "service": "客户服务中心"}


def unknown_variables(text: str) -> list[str]:
    return [v for v in variables_used(text) if v not in VARIABLES]


