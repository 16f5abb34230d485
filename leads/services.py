"""Writes for lost and invalid leads (issue 17 item 8).

Recording the outcome is the handler's first confirmation and, in the same transaction, moves the ticket
through tickets' own state machine (tickets.services.ticket_transition):
- an open ticket (new, acknowledged, in progress, waiting, reopened) is CANCELLED: the request ends without
  the service being delivered, which is what "cancelled" means in tickets (it needs a reason: ours is the
  outcome, the reason and the customer's words);
- a resolved ticket (an inquiry answered, a quote given and refused afterwards) is CLOSED.
Any other status (closed, cancelled) cannot move: nothing is recorded and the message says why.
A complaint is not a lead (it has its own return-visit rule); only inquiries and repair requests are.
The second confirmation belongs to the handler's team supervisor or a manager, never the handler. A refusal
with a reason sends the outcome back to the handler, who corrects and resubmits it; the ticket stays where
recording put it (a cancelled ticket is final in tickets; a request that revives is a new ticket).
"""
from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk import roles
from servicedesk.preferences import Message
from servicedesk.services import notify_many
from tickets.models import Ticket

from .models import LeadEvent, LeadOutcome

LEADS_TO_CONFIRM = "leads_to_confirm"
LEADS_RETURNED = "leads_returned"
LEAD_KINDS = (Ticket.Kind.INQUIRY, Ticket.Kind.REPAIR)
S = Ticket.Status


def _event(outcome, *, action, actor, at, detail=None):
    return LeadEvent.objects.create(outcome=outcome, action=action, actor=actor, at=at, detail=detail or {})


def _clean(*, outcome: str, reason: str, customer_words: str) -> str:
    if outcome not in LeadOutcome.Outcome.values:
        raise ValidationError(_("Choose whether the lead is invalid or lost."))
    if reason not in LeadOutcome.REASONS_BY_OUTCOME[outcome]:
        raise ValidationError(_("That reason does not belong to this outcome."))
    words = (customer_words or "").strip()
    if not words:
        raise ValidationError(_("Write down the customer's own words."))
    return words


def can_record(*, user, ticket: Ticket) -> bool:
    """The person handling it: the assignee (or, unassigned, its creator); a supervisor or manager for any."""
    if not user.has_perm("leads.record_lead"):
        return False
    if user.has_perm("leads.confirm_lead"):
        return True
    return ticket.assignee_id == user.pk or (ticket.assignee_id is None and ticket.created_by_id == user.pk)


def _team_supervisor_id(user) -> int | None:
    profile = getattr(user, "profile", None)
    team = getattr(profile, "team", None) if profile is not None else None
    return team.supervisor_id if team is not None else None


def can_confirm(*, user, outcome: LeadOutcome) -> bool:
    """Their team's supervisor, or a manager; never the person who recorded it."""
    if outcome.recorded_by_id == user.pk or not user.has_perm("leads.confirm_lead"):
        return False
    if roles.MANAGER in roles.user_roles(user):
        return True
    return _team_supervisor_id(outcome.recorded_by) == user.pk


def confirmers_for(recorder) -> list:
    """Who is asked to confirm: the recorder's team supervisor if active and not the recorder, else the managers."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    sup = _team_supervisor_id(recorder)
    if sup and sup != recorder.pk:
        found = [u for u in User.objects.filter(pk=sup, is_active=True) if u.has_perm("leads.confirm_lead")]
        if found:
            return found
    return list(User.objects.filter(is_active=True, groups__name=roles.MANAGER).exclude(pk=recorder.pk).distinct())


def _ask_confirmation(outcome: LeadOutcome, *, recorder) -> None:
    url = reverse("leads:to_confirm")
    notify_many([(u, Message(_("%(person)s recorded ticket %(number)s as %(outcome)s: please confirm it."),
                             {"person": recorder.get_full_name() or recorder.username, "number": outcome.ticket.number,
                              "outcome": outcome.get_outcome_display()}), url)
                 for u in confirmers_for(recorder)],
                email=True, kind=LEADS_TO_CONFIRM, group=f"leads:{outcome.pk}")


def lead_record(*, ticket: Ticket, by, outcome: str, reason: str, customer_words: str, product: str = "",
                now: datetime | None = None) -> LeadOutcome:
    """Record why a request did not become business (the first confirmation) and move the ticket out of the
    open work; if the ticket cannot move, nothing is recorded (the ValidationError says why)."""
    now = now or timezone.now()
    words = _clean(outcome=outcome, reason=reason, customer_words=customer_words)
    if not can_record(user=by, ticket=ticket):
        raise ValidationError(_("Only the person handling this ticket, their supervisor or a manager can record it."))
    if ticket.kind not in LEAD_KINDS:
        raise ValidationError(_("Only inquiries and repair requests can be recorded as lost or invalid leads."))
    from tickets.services import ticket_transition

    product = (product or "").strip()[:120] or (ticket.asset.product if ticket.asset_id else "")
    try:
        with transaction.atomic():
            current = Ticket.objects.select_for_update().get(pk=ticket.pk)
            earlier = LeadOutcome.objects.filter(ticket=current).first()
            if earlier is not None and earlier.state != LeadOutcome.State.VOIDED:
                raise ValidationError(_("This ticket already has a recorded outcome."))
            if current.status == S.RESOLVED:
                target = S.CLOSED
            elif current.status in Ticket.OPEN_STATUSES:
                target = S.CANCELLED
            else:
                raise ValidationError(_("Ticket %(number)s is “%(status)s”: it cannot be closed or cancelled, so no "
                                        "outcome was recorded."),
                                      params={"number": current.number, "status": current.get_status_display()})
            if earlier is None:
                row = LeadOutcome.objects.create(ticket=current, outcome=outcome, reason=reason, customer_words=words,
                                                 product=product, recorded_by=by, recorded_at=now)
            else:
                # One outcome per ticket: a voided one (the ticket was reopened, and has now ended again) is
                # recorded afresh; its earlier life stays in its events.
                row = earlier
                row.outcome, row.reason, row.customer_words, row.product = outcome, reason, words, product
                row.state, row.recorded_by, row.recorded_at = LeadOutcome.State.PENDING, by, now
                row.confirmed_by = row.confirmed_at = None
                row.returned_reason = ""
                row.save()
            label = f"{row.get_outcome_display()}: {row.get_reason_display()} — {words}"[:500]
            ticket_transition(ticket=current, to_status=target, actor=by, now=now, reason=label)
            _event(row, action="recorded", actor=by, at=now,
                   detail={"before": earlier.state if earlier is not None else None, "after": LeadOutcome.State.PENDING,
                           "outcome": outcome, "reason": reason, "ticket_status": target})
            _ask_confirmation(row, recorder=by)
    except IntegrityError:  # a second click recorded it meanwhile: the one-per-ticket constraint decides
        raise ValidationError(_("This ticket already has a recorded outcome.")) from None
    return row


def lead_resubmit(*, outcome: LeadOutcome, by, reason: str, customer_words: str, product: str = "",
                  now: datetime | None = None) -> LeadOutcome:
    """The handler corrects a sent-back outcome and asks again (the outcome kind stays; the reason may change)."""
    now = now or timezone.now()
    words = _clean(outcome=outcome.outcome, reason=reason, customer_words=customer_words)
    if outcome.recorded_by_id != by.pk:
        raise ValidationError(_("Only the person who recorded it can correct it."))
    with transaction.atomic():
        if LeadOutcome.objects.filter(pk=outcome.pk, state=LeadOutcome.State.RETURNED).update(
                state=LeadOutcome.State.PENDING, reason=reason, customer_words=words,
                product=(product or "").strip()[:120]) != 1:
            raise ValidationError(_("Only an outcome that was sent back can be corrected."))
        outcome.refresh_from_db()
        _event(outcome, action="resubmitted", actor=by, at=now,
               detail={"before": LeadOutcome.State.RETURNED, "after": LeadOutcome.State.PENDING, "reason": reason})
        _ask_confirmation(outcome, recorder=by)
    return outcome


def lead_confirm(*, outcome: LeadOutcome, by, now: datetime | None = None) -> LeadOutcome:
    """The second confirmation: from then on the outcome counts in the loss analysis."""
    now = now or timezone.now()
    if outcome.recorded_by_id == by.pk:
        raise ValidationError(_("The person who recorded it cannot confirm it a second time."))
    if not can_confirm(user=by, outcome=outcome):
        raise ValidationError(_("Only the recorder's team supervisor or a manager can confirm it."))
    with transaction.atomic():
        # compare-and-set: two managers confirming at once confirm it once
        if LeadOutcome.objects.filter(pk=outcome.pk, state=LeadOutcome.State.PENDING).update(
                state=LeadOutcome.State.CONFIRMED, confirmed_by=by, confirmed_at=now) != 1:
            raise ValidationError(_("This outcome is not waiting for confirmation."))
        outcome.refresh_from_db()
        _event(outcome, action="confirmed", actor=by, at=now,
               detail={"before": LeadOutcome.State.PENDING, "after": LeadOutcome.State.CONFIRMED})
    return outcome


def lead_return(*, outcome: LeadOutcome, by, reason: str, now: datetime | None = None) -> LeadOutcome:
    """Refuse the second confirmation with a reason: the outcome goes back to the handler to correct."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why it is sent back."))
    if not can_confirm(user=by, outcome=outcome):
        raise ValidationError(_("Only the recorder's team supervisor or a manager can confirm it."))
    with transaction.atomic():
        if LeadOutcome.objects.filter(pk=outcome.pk, state=LeadOutcome.State.PENDING).update(
                state=LeadOutcome.State.RETURNED, returned_reason=reason[:500]) != 1:
            raise ValidationError(_("This outcome is not waiting for confirmation."))
        outcome.refresh_from_db()
        _event(outcome, action="returned", actor=by, at=now,
               detail={"before": LeadOutcome.State.PENDING, "after": LeadOutcome.State.RETURNED, "reason": reason[:500]})
        notify_many([(outcome.recorded_by,
                      Message(_("%(person)s sent back your outcome for ticket %(number)s: %(reason)s"),
                              {"person": by.get_full_name() or by.username, "number": outcome.ticket.number,
                               "reason": reason[:200]}),
                      reverse("leads:resubmit", args=[outcome.pk]))],
                    email=True, kind=LEADS_RETURNED, group=f"leads:{outcome.pk}")
    return outcome


def lead_void_on_reopen(*, ticket: Ticket, old_status: str, new_status: str, actor, now: datetime) -> int:
    """A ticket that comes back to life (closed or resolved → reopened, or any other way back into the open
    statuses) is a live request again: its lead outcome — pending, sent back or confirmed — is voided and
    stops counting in the loss analysis (selectors.confirmed reads confirmed rows only). The row and its
    confirmations stay; a "voided" event says who (None: the system), when and what it was before.
    Under the row's lock, in the ticket's transaction (tickets.signals.ticket_status_changed). Returns 0 or 1."""
    if new_status not in Ticket.OPEN_STATUSES or old_status in Ticket.OPEN_STATUSES:
        return 0
    row = (LeadOutcome.objects.filter(ticket_id=ticket.pk).exclude(state=LeadOutcome.State.VOIDED)
           .select_for_update().first())
    if row is None:
        return 0
    before = row.state
    row.state = LeadOutcome.State.VOIDED  # the row lock serialises a second void: it finds none left
    row.save(update_fields=["state"])
    _event(row, action="voided", actor=actor if getattr(actor, "pk", None) else None, at=now,
           detail={"before": before, "after": LeadOutcome.State.VOIDED, "ticket_status": new_status,
                   "ticket_status_before": old_status})
    return 1


def on_ticket_status_changed(sender, *, ticket, old_status, new_status, actor=None, now=None, **kwargs):
    """tickets.signals.ticket_status_changed receiver: a reopened ticket's lead outcome stops counting."""
    lead_void_on_reopen(ticket=ticket, old_status=old_status, new_status=new_status, actor=actor,
                        now=now or timezone.now())
