"""Writes for the customer's door (issue 15): status links, messages to customers, the customer's own actions.

Every message to a customer is an outbox row written in the transaction of its cause
(servicedesk/outbox.py): it exists exactly when the cause does and is delivered once, later if the
broker or the gateway is down. Customers have no account: what they do through a status link is
recorded as done by the portal's system account (``portal_user``), with the customer named on it.
"""
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _, gettext_lazy

from servicedesk.services import system_user
from tickets.models import Ticket, TicketReply

from . import messages, selectors
from .models import MessageEvent, PortalSettings, TicketAccess

PORTAL_USERNAME = "portal"
MESSAGE_KIND = "portal.{event}"


class PortalLinkError(Exception):
    """The link is forged, mistyped, revoked or expired. The page is the same for all of them."""


def portal_user():
    """The system account that customers' own actions are recorded under. It cannot sign in."""
    return system_user(username=PORTAL_USERNAME, display_name="网上服务")


# --- status links ------------------------------------------------------------------------------
def _b36(n: int) -> str:
    chars = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = chars[r] + out
        if not n:
            return out


def status_token(ticket: Ticket, *, now: datetime | None = None, new: bool = False) -> str:
    """``<ticket id in base 36>-<secret>``: short enough for an SMS, unguessable (96 random bits).

    The secret is per ticket and stored (TicketAccess): changing the id in a link gives a different
    ticket whose secret the link does not carry. ``status_links_revoke`` replaces the secret.
    """
    if new:  # a ticket opened in this transaction has no link yet: one INSERT
        access = TicketAccess.objects.create(ticket_id=ticket.pk, nonce=secrets.token_urlsafe(12),
                                             created_at=now or timezone.now())
        return access_token(ticket.pk, access.nonce)
    nonce = current_nonce(ticket.pk)
    if nonce is None:
        access, _created = TicketAccess.objects.get_or_create(
            ticket_id=ticket.pk, defaults={"nonce": secrets.token_urlsafe(12), "created_at": now or timezone.now()})
        nonce = access.nonce
    return access_token(ticket.pk, nonce)


def current_nonce(ticket_pk: int) -> str | None:
    """The secret of the ticket's live status link; None while no link was made. One read, nothing created."""
    from servicedesk.compiled import compiled_rows

    rows = compiled_rows("portal.nonce", TicketAccess, _nonce, value=ticket_pk)  # on every ticket page
    return rows[0][0] if rows else None


def _nonce(ticket_pk):
    return TicketAccess.objects.filter(ticket_id=ticket_pk).values_list("nonce").order_by()[:1]


def status_url(token: str) -> str:
    """The full address of the status page for a token (SITE_URL + the page's path)."""
    base = getattr(settings, "SITE_URL", "") or "http://127.0.0.1:8000"
    return base.rstrip("/") + reverse("portal:status", args=[token])


def access_token(ticket_pk: int, nonce: str) -> str:
    return f"{_b36(ticket_pk)}-{nonce}"


def status_link(ticket: Ticket, *, now: datetime | None = None, new: bool = False) -> str:
    return status_url(status_token(ticket, now=now, new=new))


def status_links_revoke(*, ticket: Ticket, actor, now: datetime | None = None) -> None:
    """A new secret: every link sent so far stops working (a link forwarded to the wrong person)."""
    from tickets.services import event_record

    now = now or timezone.now()
    with transaction.atomic():
        TicketAccess.objects.update_or_create(ticket_id=ticket.pk, defaults={
            "nonce": secrets.token_urlsafe(12), "created_at": now})
        event_record(ticket=ticket, actor=actor, kind="status_link_revoked", now=now)


def status_link_resend(*, ticket: Ticket, actor, now: datetime | None = None) -> str:
    """Staff send the acknowledgement (number, promised time, status link) again — a customer who lost
    it. Returns what happened, as customer_message_send does."""
    from tickets.services import event_record

    now = now or timezone.now()
    with transaction.atomic():
        locked = Ticket.objects.select_related("customer").get(pk=ticket.pk)
        outcome = customer_message_send(ticket=locked, event=MessageEvent.ACKNOWLEDGED, now=now, urgent=True)
        event_record(ticket=locked, actor=actor, kind="status_link_sent", now=now, after={"outcome": outcome})
    return outcome


def ticket_for_token(token: str, *, now: datetime | None = None) -> Ticket:
    """The ticket a status link opens, or PortalLinkError (forged, revoked or expired alike)."""
    now = now or timezone.now()
    head, sep, nonce = (token or "").partition("-")
    if not sep or not head.isalnum() or len(head) > 12 or not nonce or len(nonce) > 32:
        raise PortalLinkError
    try:
        pk = int(head, 36)
    except ValueError:
        raise PortalLinkError from None
    access = TicketAccess.objects.filter(ticket_id=pk).select_related("ticket", "ticket__customer").first()
    if access is None or not secrets.compare_digest(access.nonce.encode(), nonce.encode()):
        raise PortalLinkError
    ticket = access.ticket
    if selectors.link_expired(ticket, now=now):
        raise PortalLinkError
    return ticket


# --- messages to customers ---------------------------------------------------------------------
def _in_quiet_hours(moment: datetime, cfg: PortalSettings) -> datetime | None:
    """When quiet hours end, if ``moment`` falls in them (department's zone); else None."""
    local = timezone.localtime(moment)
    start, end, t = cfg.quiet_start, cfg.quiet_end, local.time()
    if start == end:
        return None
    quiet = (start <= t or t < end) if start > end else (start <= t < end)
    if not quiet:
        return None
    day = local.date() if t < end else local.date() + timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, end), local.tzinfo)


def customer_message_send(*, ticket: Ticket, event: str, now: datetime | None = None, extra: dict | None = None,
                          urgent: bool = False, templates=None, new_ticket: bool = False) -> str:
    """Tell the customer about ``event`` on ``ticket`` if the department sends it for this kind.

    Returns what happened, in words a timeline can show: "queued", "held" (quiet hours), "off" (the
    manager switched this message off for the kind), "stopped" (the customer asked for no progress
    messages), "no_address" (no mobile or e-mail on file). The outcome is recorded on the ticket's
    timeline either way, so staff see what the customer was — or was not — told.
    """
    from customers.selectors import customer_message_route
    from servicedesk.outbox import Outgoing, outbox_add_many
    from tickets.services import event_record

    now = now or timezone.now()
    customer = ticket.customer
    words = messages.wording(event, ticket.kind, templates)
    essential = event in messages.ESSENTIAL
    if not words.enabled:
        return "off"
    if customer.progress_messages_stopped and not essential:
        outcome, route = "stopped", None
    else:
        route = customer_message_route(customer=customer)
        outcome = "no_address" if route is None else "queued"
    send_after = None
    if route is not None:
        channel, to = route
        cfg = PortalSettings.current()
        language = customer.preferred_language or settings.LANGUAGE_CODE
        with translation.override(language):
            values = selectors.message_values(ticket, language=language, now=now, cfg=cfg, new_ticket=new_ticket)
            values.update(extra or {})
            body = messages.render(words.text_for(language, values), values)
            subject = _("%(number)s: %(subject)s") % {"number": ticket.number, "subject": ticket.subject}
        if channel == "sms" and not urgent:
            send_after = _in_quiet_hours(now, cfg)
            if send_after is not None:
                outcome = "held"
        # No `source`: the outbox keeps one message per source row, and a ticket has many messages. The
        # timeline event below names the outbox row instead.
        [row] = outbox_add_many([Outgoing(kind=MESSAGE_KIND.format(event=event), channel=channel, to=to,
                                          subject=subject[:150], body=body, send_after=send_after)], now=now)
        message_id = row.pk
    else:
        message_id = None
    event_record(ticket=ticket, actor=None, kind="message_to_customer", now=now,
                 after={"event": event, "outcome": outcome, "channel": route[0] if route else "",
                        "at": send_after.isoformat() if send_after else None, "message": message_id})
    return outcome


def on_ticket_opened(sender, *, ticket, now=None, **kwargs) -> None:
    """The acknowledgement (any channel): number, what was received, promised time, status link."""
    if getattr(ticket, "_portal_quiet", False):  # demo data and benchmarks build history silently
        return
    customer_message_send(ticket=ticket, event=MessageEvent.ACKNOWLEDGED, now=now, urgent=True, new_ticket=True)


def on_ticket_status_changed(sender, *, ticket, old_status, new_status, actor=None, now=None, **kwargs) -> None:
    if getattr(ticket, "_portal_quiet", False):
        return
    if new_status == Ticket.Status.WAITING:
        customer_message_send(ticket=ticket, event=MessageEvent.WAITING, now=now)
    elif new_status == Ticket.Status.RESOLVED:
        customer_message_send(ticket=ticket, event=MessageEvent.RESOLVED, now=now,
                              extra={"result": selectors.result_text(ticket)})


def on_workorder_booked(sender, *, work_order, now=None, **kwargs) -> None:
    """A technician took the job: the customer learns who comes and when."""
    ticket = work_order.ticket
    if getattr(ticket, "_portal_quiet", False):
        return
    customer_message_send(ticket=ticket, event=MessageEvent.VISIT_BOOKED, now=now,
                          extra=selectors.visit_values(work_order, language=ticket.customer.preferred_language))


# --- what the customer does on the status page ---------------------------------------------------
def _notify_people(ticket: Ticket, message, params: dict) -> None:
    """The assignee, else the team's supervisor(s): someone must see what the customer did."""
    from servicedesk.services import notify_many
    from sla.selectors import ticket_url
    from tickets.selectors import ticket_supervisors

    people = [ticket.assignee] if ticket.assignee_id and ticket.assignee.is_active else ticket_supervisors(ticket)
    url = ticket_url(ticket)
    notify_many([(p, message, url, params) for p in people], kind="customer_reply",
                group=f"ticket:{ticket.pk}")


def customer_reply_add(*, ticket: Ticket, body: str, files=(), now: datetime | None = None, actor=None
                       ) -> TicketReply:
    """The customer's message (and photos) from the status page: a customer reply on the ticket.

    A ticket waiting on the customer goes back to work; the assignee is told (bell). ``actor``: the
    system account it is recorded under (the portal's; e-mail intake passes its own).
    """
    from tickets import services as ticket_services

    now = now or timezone.now()
    body = (body or "").strip()
    if not body and not files:
        raise ValidationError(_("Write a message or choose a photo."), code="empty")
    actor = actor or portal_user()
    with transaction.atomic():
        locked = Ticket.objects.select_for_update(of=("self",)).select_related("customer", "assignee", "team").get(pk=ticket.pk)
        if locked.status == Ticket.Status.CANCELLED:
            raise ValidationError(_("This request was cancelled. Please call us or send a new request."),
                                  code="cancelled")
        reply = TicketReply.objects.create(
            ticket=locked, author=actor, body=body or _("(photo)"), public=True, from_customer=True,
            created_at=now, delivery_status=TicketReply.Delivery.RECEIVED)
        for upload, content_type in files:
            ticket_services.attachment_add(ticket=locked, uploaded_by=actor, file=upload,
                                           content_type=content_type, now=now)
        ticket_services.event_record(ticket=locked, actor=None, kind="customer_reply",
                                     after={"reply": reply.pk, "files": len(files)}, now=now)
        ticket_services._save(locked, [])
        if locked.status == Ticket.Status.WAITING:
            ticket_services.ticket_transition(ticket=locked, to_status=Ticket.Status.IN_PROGRESS, actor=None, now=now,
                                              reason=_("The customer answered"))
        _notify_people(locked, gettext_lazy("The customer wrote on %(number)s"), {"number": locked.number})
    return reply


def customer_callback_request(*, ticket: Ticket, note: str = "", now: datetime | None = None):
    """"Call me back": a callback for the ticket's owner, due within two working hours. Asking twice
    while one is pending gives the same callback (no pile of duplicates)."""
    from followups import selectors as fu_selectors
    from followups.models import Callback
    from followups.services import callback_schedule
    from tickets.services import event_record

    now = now or timezone.now()
    with transaction.atomic():
        locked = Ticket.objects.select_for_update(of=("self",)).select_related("customer").get(pk=ticket.pk)
        pending = (Callback.objects.filter(ticket=locked, reason=Callback.Reason.CUSTOMER_REQUEST,
                                           status=Callback.Status.PENDING).first())
        if pending is not None:
            return pending, False
        owner = fu_selectors.callback_owner_for(ticket=locked)
        callback = callback_schedule(customer=locked.customer, reason=Callback.Reason.CUSTOMER_REQUEST,
                                     due_at=fu_selectors.add_working_hours(now, 2), owner=owner, ticket=locked,
                                     notes=(note or "").strip()[:1000], now=now)
        event_record(ticket=locked, actor=None, kind="customer_callback_request", now=now,
                     message=(note or "").strip()[:500])
        _notify_people(locked, gettext_lazy("The customer asks for a call back on %(number)s"),
                       {"number": locked.number})
    return callback, True


def customer_confirm(*, ticket: Ticket, fixed: bool, note: str = "", now: datetime | None = None) -> dict:
    """After resolution the customer says it is fixed, or that it isn't.

    Fixed: the ticket closes. Not fixed: within the reopen window the ticket reopens and its people
    are told; past it, a complaint is opened that names this ticket. Returns {"outcome": …, "ticket": …}.
    """
    from tickets import services as ticket_services

    now = now or timezone.now()
    note = (note or "").strip()[:2000]
    with transaction.atomic():
        locked = Ticket.objects.select_for_update(of=("self",)).select_related("customer", "assignee", "team").get(pk=ticket.pk)
        if locked.status not in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED):
            raise ValidationError(_("This request is not resolved yet."), code="not_resolved")
        if fixed:
            ticket_services.event_record(ticket=locked, actor=None, kind="customer_confirmed", now=now,
                                         message=note)
            if locked.status == Ticket.Status.RESOLVED:
                ticket_services.ticket_transition(ticket=locked, to_status=Ticket.Status.CLOSED, actor=None, now=now,
                                                  reason=_("The customer confirmed it is fixed"))
            return {"outcome": "closed", "ticket": locked}
        reason = _("The customer says it is not fixed") + (f": {note}" if note else "")
        if Ticket.Status.REOPENED in ticket_services.allowed_transitions(locked, now=now):
            ticket_services.ticket_transition(ticket=locked, to_status=Ticket.Status.REOPENED, actor=None, now=now,
                                              reason=reason[:500])
            _notify_people(locked, gettext_lazy("The customer says %(number)s is not fixed: it is reopened"),
                           {"number": locked.number})
            return {"outcome": "reopened", "ticket": locked}
        complaint = ticket_services.ticket_create(
            customer=locked.customer, kind=Ticket.Kind.COMPLAINT, channel="web", created_by=portal_user(),
            subject=(_("Not fixed: %(number)s %(subject)s") % {"number": locked.number,
                                                               "subject": locked.subject})[:200],
            description=reason, asset=locked.asset, team=locked.team, now=now)
        ticket_services.event_record(ticket=locked, actor=None, kind="complaint_opened", now=now,
                                     after={"complaint": complaint.number, "complaint_id": complaint.pk})
        ticket_services.event_record(ticket=complaint, actor=None, kind="about_ticket", now=now,
                                     after={"ticket": locked.number, "ticket_id": locked.pk})
        _notify_people(complaint, gettext_lazy("The customer says %(number)s is not fixed: complaint %(complaint)s"),
                       {"number": locked.number, "complaint": complaint.number})
        return {"outcome": "complaint", "ticket": complaint}


def customer_stop_messages(*, ticket: Ticket, now: datetime | None = None) -> None:
    """The stop link: no more progress messages to this customer (recorded on the customer and ticket)."""
    from tickets.services import event_record

    now = now or timezone.now()
    with transaction.atomic():
        customer = ticket.customer
        if not customer.progress_messages_stopped:
            type(customer).objects.filter(pk=customer.pk).update(progress_messages_stopped=True)
            customer.progress_messages_stopped = True
            event_record(ticket=ticket, actor=None, kind="customer_stopped_messages", now=now)


# --- the visit reminder, the evening before ------------------------------------------------------
REMINDER_FROM_HOUR = 18


def visit_reminders_send(*, now: datetime | None = None, batch: int = 200) -> int:
    """From 18:00 (department's zone), remind customers of tomorrow's booked visits. Exactly once per
    work order (VisitReminder's primary key); reads tomorrow's accepted work orders through
    wo_status_window_idx. Returns how many were reminded."""
    from django.db import IntegrityError

    from dispatch.models import WorkOrder

    from .models import VisitReminder

    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < REMINDER_FROM_HOUR:
        return 0
    start = timezone.make_aware(datetime.combine(local.date() + timedelta(days=1), datetime.min.time()), local.tzinfo)
    due = (WorkOrder.objects.filter(status=WorkOrder.Status.ACCEPTED, window_start__gte=start,
                                    window_start__lt=start + timedelta(days=1))
           .exclude(pk__in=VisitReminder.objects.values("work_order_id"))
           .select_related("ticket__customer", "technician__user").order_by("window_start", "pk")[:batch])
    sent = 0
    for wo in due:
        try:
            with transaction.atomic():
                VisitReminder.objects.create(work_order=wo, sent_at=now)
                ticket = wo.ticket
                customer_message_send(ticket=ticket, event=MessageEvent.VISIT_REMINDER, now=now, extra=selectors.visit_values(
                    wo, language=ticket.customer.preferred_language))
        except IntegrityError:  # another worker reminded it first
            continue
        sent += 1
    return sent


# --- replies to our SMS (上行短信): "TD" stops progress messages ------------------------------------
STOP_WORDS = {"TD", "T", "N", "STOP", "退订", "取消", "退"}


def is_stop_reply(text: str) -> bool:
    """"TD", "td", "退订", "【TD】" … — the carriers' customary unsubscribe replies."""
    core = "".join(ch for ch in (text or "") if ch.isalnum()).upper()
    return core in STOP_WORDS


def sms_replies_record(replies: list[dict], *, now: datetime | None = None) -> dict:
    """Replies the gateway forwarded: ``[{"phone_number": "13812345678", "content": "TD"}, …]``.

    A stop word marks the customer whose mobile it is (numbers are unique) as not wanting progress
    messages; anything else is ignored here (it is not a ticket reply: SMS has no thread to match).
    Returns {"stopped": n, "ignored": m}. Idempotent: stopping twice changes nothing.
    """
    from customers.models import Customer, CustomerPhone
    from customers.phones import normalise_phone

    now = now or timezone.now()
    counts = {"stopped": 0, "ignored": 0}
    for item in replies:
        if not isinstance(item, dict) or not is_stop_reply(str(item.get("content", ""))):
            counts["ignored"] += 1
            continue
        try:
            number = normalise_phone(str(item.get("phone_number") or item.get("mobile") or "")).e164
        except ValidationError:
            counts["ignored"] += 1
            continue
        customer_id = CustomerPhone.objects.filter(number=number).values_list("customer_id", flat=True).first()
        if customer_id is None:
            counts["ignored"] += 1
            continue
        counts["stopped"] += Customer.objects.filter(pk=customer_id, progress_messages_stopped=False).update(
            progress_messages_stopped=True)
    return counts
