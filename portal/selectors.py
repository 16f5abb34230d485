"""Reads for the customer's door: what a status page shows, and the values messages are filled with.

A status page is a fixed number of queries whatever the ticket's history (tested, and measured by
``bench_portal``): the ticket with its customer (one, through the link), its SLA clocks, its public
replies, its current work order.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from tickets.models import Ticket, TicketReply

from .models import PortalSettings

S = Ticket.Status
VISIT_STATUSES = ("accepted", "arrived", "in_progress", "done")


def link_expired(ticket: Ticket, *, now: datetime, cfg: PortalSettings | None = None) -> bool:
    """A link works while the ticket is open and for ``link_valid_days`` after it closed or was cancelled."""
    if ticket.status not in (S.CLOSED, S.CANCELLED):
        return False
    cfg = cfg or PortalSettings.current()
    ended = ticket.closed_at if ticket.status == S.CLOSED else ticket.updated_at
    return ended is not None and now > ended + timedelta(days=cfg.link_valid_days)


def moment_text(moment: datetime | None, language: str) -> str:
    """30 Nov 12:22 / 11月30日 12:22, in the department's zone."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    if language.startswith("en"):
        return local.strftime("%-d %b %H:%M")
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def window_text(start: datetime, end: datetime, language: str) -> str:
    return f"{moment_text(start, language)}–{timezone.localtime(end):%H:%M}"


def surname(user) -> str:
    """The technician as the customer sees them: surname only (张师傅 / Zhang)."""
    name = (user.last_name or "").strip() or (user.first_name or "").strip()[:1] or user.get_username()[:1]
    return name


def technician_text(user, language: str) -> str:
    name = surname(user)
    return f"{name}师傅" if not language.startswith("en") else _("technician %(name)s") % {"name": name}


def result_text(ticket: Ticket) -> str:
    text = (ticket.solution or "").strip().splitlines()
    return (text[0][:60] if text else "") or (str(ticket.fault_cause) if ticket.fault_cause_id else "")


def _promised(ticket: Ticket, deadlines: dict) -> datetime | None:
    if ticket.first_response_at is None and deadlines.get("first_response"):
        return deadlines["first_response"]
    return deadlines.get("resolution") or deadlines.get("solution")


def message_values(ticket: Ticket, *, language: str, now: datetime, cfg: PortalSettings,
                   new_ticket: bool = False) -> dict:
    """The variables of a customer message (portal/messages.py VARIABLES) for this ticket."""
    from sla.selectors import ticket_deadlines

    from .services import status_link

    with translation.override(language):
        return {
            "service": public_name(cfg, language),
            "hotline": cfg.hotline,
            "name": ticket.customer.name,
            "number": ticket.number,
            # Mid-sentence: "your repair request" (Chinese has no case).
            "kind": str(Ticket.Kind(ticket.kind).label).lower(),
            "subject": ticket.subject,
            "promised": moment_text(_promised(ticket, ticket_deadlines(ticket)), language),
            "link": status_link(ticket, now=now, new=new_ticket),
            "technician": "",
            "window": "",
            "result": "",
        }


def visit_values(work_order, *, language: str) -> dict:
    return {"technician": technician_text(work_order.technician.user, language) if work_order.technician_id else "",
            "window": window_text(work_order.window_start, work_order.window_end, language)}


def public_name(cfg: PortalSettings, language: str) -> str:
    from django.conf import settings

    if language.startswith("en") and cfg.public_name_en:
        return cfg.public_name_en
    return cfg.public_name or settings.SERVICE_PUBLIC_NAME or _("Customer service")


@dataclass
class StatusPage:
    ticket: Ticket
    stage: str
    stage_detail: str
    tone: str
    replies: list = field(default_factory=list)
    visit: dict | None = None
    result: str = ""
    can_confirm: bool = False
    can_write: bool = True
    callback_pending: bool = False


def status_page(ticket: Ticket, *, now: datetime, language: str) -> StatusPage:
    """The status page in plain words. Four queries: clocks, replies, work order, pending callback."""
    from dispatch.models import WorkOrder
    from followups.models import Callback
    from sla.selectors import ticket_deadlines

    deadlines = ticket_deadlines(ticket)
    replies = list(TicketReply.objects.filter(ticket=ticket, public=True)
                   .select_related("author").only("body", "created_at", "from_customer", "author__first_name",
                                                  "author__last_name", "author__username", "ticket_id")
                   .order_by("created_at", "id"))
    wo = (WorkOrder.objects.filter(ticket=ticket, status__in=VISIT_STATUSES).select_related("technician__user")
          .order_by("-window_start").first())
    callback_pending = Callback.objects.filter(ticket=ticket, reason=Callback.Reason.CUSTOMER_REQUEST,
                                               status=Callback.Status.PENDING).exists()
    visit = None
    if wo is not None:
        visit = {"technician": technician_text(wo.technician.user, language) if wo.technician_id else "",
                 "window": window_text(wo.window_start, wo.window_end, language),
                 "done": wo.status == "done"}
    promised = moment_text(_promised(ticket, deadlines), language)
    status = ticket.status
    tone = "primary"
    booked = visit is not None and not visit["done"] and status in Ticket.OPEN_STATUSES and status != S.WAITING
    if booked:  # the visit line below the stage says who and when
        stage = _("A technician is booked")
        detail = _("Resolution promised by %(when)s.") % {"when": promised} if promised else ""
    elif status in (S.NEW, S.ACKNOWLEDGED) and ticket.first_response_at is None:
        stage = _("We have your request")
        detail = _("We will answer by %(when)s.") % {"when": promised} if promised else _("We will answer soon.")
    elif status == S.WAITING:
        stage, tone = _("We are waiting for you"), "warning"
        detail = _("Please answer our last message below, or add what we asked for.")
    elif status in (S.NEW, S.ACKNOWLEDGED, S.IN_PROGRESS, S.REOPENED):
        stage = _("We are working on it")
        detail = _("Resolution promised by %(when)s.") % {"when": promised} if promised else ""
    elif status == S.RESOLVED:
        stage, tone = _("Resolved"), "success"
        detail = _("Please tell us whether it is fixed.")
    elif status == S.CLOSED:
        stage, tone, detail = _("Closed"), "secondary", _("Thank you. Call us if anything changes.")
    else:
        stage, tone, detail = _("Cancelled"), "secondary", _("This request was cancelled.")
    return StatusPage(
        ticket=ticket, stage=stage, stage_detail=detail, tone=tone, replies=replies, visit=visit,
        result=result_text(ticket) if status in (S.RESOLVED, S.CLOSED) else "",
        can_confirm=status == S.RESOLVED, can_write=status != S.CANCELLED, callback_pending=callback_pending,
    )


def format_date(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def staff_status_link(ticket: Ticket) -> str:
    """The status link the customer holds, for the ticket page's panel; "" while none was made. One
    read, nothing created (opening the page must not mint a link nobody was sent)."""
    from .services import access_token, current_nonce, status_url

    nonce = current_nonce(ticket.pk)
    return status_url(access_token(ticket.pk, nonce)) if nonce is not None else ""


def staff_link_panel(ticket: Ticket, user, *, note: str = "", tone: str = "success") -> dict:
    """What the ticket page's status-link panel shows (portal/_ticket_link_panel.html)."""
    return {"ticket": ticket, "link": staff_status_link(ticket), "note": note, "tone": tone,
            "can_send": user.has_perm("tickets.work_ticket")}
