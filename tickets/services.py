"""Writes for tickets (domain.md §3). Every change records a TicketEvent and sends its signal."""
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import signals
from .models import Ticket, TicketCounter, TicketEvent

S = Ticket.Status

# The state machine: from → allowed targets. Anything else is refused with a clear message.
TRANSITIONS: dict[str, set[str]] = {
    S.NEW: {S.ACKNOWLEDGED, S.IN_PROGRESS, S.WAITING, S.RESOLVED, S.CANCELLED},
    S.ACKNOWLEDGED: {S.IN_PROGRESS, S.WAITING, S.RESOLVED, S.CANCELLED},
    S.IN_PROGRESS: {S.WAITING, S.RESOLVED, S.CANCELLED},
    S.WAITING: {S.IN_PROGRESS, S.RESOLVED, S.CANCELLED},
    S.REOPENED: {S.IN_PROGRESS, S.WAITING, S.RESOLVED, S.CANCELLED},
    S.RESOLVED: {S.CLOSED, S.REOPENED},
    S.CLOSED: {S.REOPENED},
    S.CANCELLED: set(),
}


def _next_number(*, kind: str, year: int) -> str:
    """Gap-free, sequential per kind and year: the counter row is locked until our transaction ends."""
    counter = TicketCounter.objects.select_for_update().filter(kind=kind, year=year).first()
    if counter is None:
        try:
            with transaction.atomic():  # savepoint: a concurrent first ticket of the year may win
                TicketCounter.objects.create(kind=kind, year=year, last=0)
        except IntegrityError:
            pass
        counter = TicketCounter.objects.select_for_update().get(kind=kind, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{Ticket.NUMBER_PREFIX[kind]}-{year}-{counter.last:06d}"


def event_record(*, ticket: Ticket, actor, kind: str, now: datetime, field: str = "", before=None, after=None,
                 message: str = "") -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket, actor=actor, kind=kind, field=field, before=before, after=after, message=message, created_at=now
    )


def ticket_create(
    *,
    customer,
    kind: str,
    subject: str,
    created_by,
    channel: str = "phone",
    priority: int = Ticket.Priority.NORMAL,
    description: str = "",
    asset=None,
    contact=None,
    team=None,
    assignee=None,
    now: datetime | None = None,
) -> Ticket:
    """Open a ticket with its number (SR-2026-000123) and tell the SLA clocks it started."""
    now = now or timezone.now()
    if asset is not None and asset.customer_id != customer.pk:
        raise ValidationError(_("That asset belongs to another customer."), code="asset_customer")
    with transaction.atomic():
        year = timezone.localtime(now).year
        ticket = Ticket(
            number=_next_number(kind=kind, year=year),
            kind=kind,
            subject=subject.strip(),
            description=description,
            channel=channel,
            priority=priority,
            customer=customer,
            asset=asset,
            team=team,
            assignee=assignee,
            created_by=created_by,
        )
        ticket.full_clean()
        ticket.save()
        # created_at is auto_now_add; pin it to `now` so the timeline and the SLA agree.
        Ticket.objects.filter(pk=ticket.pk).update(created_at=now)
        ticket.created_at = now
        event_record(ticket=ticket, actor=created_by, kind="created", now=now,
                     after={"number": ticket.number, "kind": kind, "priority": priority, "channel": channel})
        if contact is not None:
            contact.ticket = ticket
            contact.save(update_fields=["ticket"])
        signals.ticket_opened.send(sender=Ticket, ticket=ticket, now=now)
    return ticket


def ticket_transition(*, ticket: Ticket, to_status: str, actor, now: datetime | None = None, reason: str = "") -> Ticket:
    """Move a ticket along the state machine; an illegal move raises a translatable ValidationError."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        old = locked.status
        if to_status not in TRANSITIONS.get(old, set()):
            raise ValidationError(
                _("A ticket that is “%(old)s” cannot become “%(new)s”."),
                code="illegal_transition",
                params={"old": S(old).label, "new": S(to_status).label},
            )
        locked.status = to_status
        locked.version += 1
        fields = ["status", "version", "updated_at"]
        if to_status == S.RESOLVED:
            locked.resolved_at = now
            fields.append("resolved_at")
        elif to_status == S.CLOSED:
            locked.closed_at = now
            fields.append("closed_at")
        elif to_status == S.CANCELLED:
            if not reason.strip():
                raise ValidationError(_("Give a reason for cancelling."), code="reason_required")
            locked.cancel_reason = reason.strip()
            fields.append("cancel_reason")
        locked.save(update_fields=fields)
        event_record(ticket=locked, actor=actor, kind="status", field="status", before=old, after=to_status,
                     message=reason, now=now)
        signals.ticket_status_changed.send(
            sender=Ticket, ticket=locked, old_status=old, new_status=to_status, actor=actor, now=now
        )
    return locked
