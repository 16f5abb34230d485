"""Writes for callbacks and surveys (domain.md §6): "every request gets an answer" (件件有回音)."""
from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _, gettext_lazy

from . import selectors, signals
from .models import (
    Callback,
    CallbackAttempt,
    CallbackDigest,
    CallbackReminder,
    DissatisfiedAction,
    FollowupPolicy,
    SatisfactionRollup,
    SurveyInvitation,
    SurveyResponse,
)

logger = logging.getLogger(__name__)
R = Callback.Reason
ST = Callback.Status


# --- Policy -------------------------------------------------------------------------------------------
def policy_update(*, actor, data: dict, now: datetime | None = None) -> FollowupPolicy:
    """A manager changes the defaults. Weights must not all be zero (the index would be undefined)."""
    with transaction.atomic():
        pol = selectors.policy()
        pol = FollowupPolicy.objects.select_for_update().get(pk=pol.pk)
        for key, value in data.items():
            setattr(pol, key, value)
        pol.updated_by = actor
        pol.full_clean()
        if sum(getattr(pol, attr) for attr, *_rest in selectors.WEIGHT_MAPPING) == 0:
            raise ValidationError(_("At least one weight of the satisfaction index must be above zero."))
        pol.save()
    return pol


# --- Scheduling -----------------------------------------------------------------------------------------
def _default_owner(*, ticket=None, customer=None):
    """The documented owner rule: followups.selectors.callback_owner_for."""
    return selectors.callback_owner_for(ticket=ticket, customer=customer)


def _check_owner(owner) -> None:
    """Work goes to people who can do it: refuse an owner whose role cannot open callbacks."""
    if owner is not None and not selectors.can_work_callbacks(owner):
        raise ValidationError(
            _("%(person)s cannot own a callback: their role cannot open or record callbacks. Choose an agent or a "
              "supervisor.") % {"person": owner.get_full_name() or owner.get_username()},
            code="owner_cannot_work_callbacks",
        )


def _supervisors_for(ticket=None) -> list:
    """The ticket's supervisor(s): tickets.selectors.ticket_supervisors is the one rule."""
    from tickets.selectors import ticket_supervisors

    return ticket_supervisors(ticket)


def callback_schedule(
    *,
    customer,
    reason: str,
    due_at: datetime,
    owner=None,
    ticket=None,
    technician=None,
    created_by=None,
    notes: str = "",
    period=None,
    survey_response=None,
    parent=None,
    now: datetime | None = None,
) -> Callback | None:
    """Create a pending callback. Returns None when an automatic one already exists (the unique
    constraints: one pending repair/return-visit callback per ticket, one key-account callback
    per customer and month), so the signal receivers and the beat task are idempotent."""
    now = now or timezone.now()
    if ticket is not None and ticket.customer_id != customer.pk:
        raise ValidationError(_("That ticket belongs to another customer."), code="ticket_customer")
    _check_owner(owner)
    pol = selectors.policy()
    callback = Callback(
        customer=customer, reason=reason, due_at=due_at, owner=owner, ticket=ticket, technician=technician,
        created_by=created_by, notes=notes, period=period, survey_response=survey_response, parent=parent,
        max_attempts=pol.max_attempts, created_at=now, next_reminder_at=due_at,
    )
    callback.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            callback.save()
    except IntegrityError:
        if reason == R.MANUAL:
            raise
        return None
    if ticket is not None:
        from tickets.services import event_record

        event_record(ticket=ticket, actor=created_by, kind="callback_scheduled", now=now,
                     after={"callback": callback.pk, "reason": reason, "due_at": due_at.isoformat()})
    return callback


def callback_schedule_manual(*, customer, due_at: datetime, actor, owner=None, ticket=None, notes: str = "",
                             now: datetime | None = None) -> Callback:
    """Agents and supervisors schedule a callback by hand; it must fall in the future."""
    now = now or timezone.now()
    if due_at < now - timedelta(minutes=5):
        raise ValidationError(_("A callback cannot be scheduled in the past."), code="past")
    with transaction.atomic():
        return callback_schedule(customer=customer, reason=R.MANUAL, due_at=due_at, owner=owner or actor,
                                 ticket=ticket, created_by=actor, notes=notes, now=now)


def callback_after_repair(*, ticket, technician=None, now: datetime | None = None,
                          signed_at: datetime | None = None) -> Callback | None:
    """domain.md §5/§6: call the customer back 2–3 working days after a repair or an installation (policy
    defaults 2 each). An installation's callback counts from the customer's sign-off when there is one."""
    from tickets.models import Ticket

    now = now or timezone.now()
    pol = selectors.policy()
    if ticket.kind == Ticket.Kind.INSTALLATION:
        reason, start, days = R.AFTER_INSTALLATION, signed_at or now, pol.installation_delay_working_days
    else:
        reason, start, days = R.AFTER_REPAIR, now, pol.repair_delay_working_days
    due = selectors.add_working_days(start, days)
    return callback_schedule(customer=ticket.customer, reason=reason, due_at=due, ticket=ticket,
                             owner=_default_owner(ticket=ticket, customer=ticket.customer), technician=technician,
                             now=now)


def callback_complaint_return_visit(*, ticket, now: datetime | None = None) -> Callback | None:
    """domain.md §3: a complaint closes only after the return visit to the customer.

    None when the return visit is already recorded on the complaint (since its last reopen): the
    resolution that follows it must not schedule a second, never-ending return visit."""
    from tickets.models import Complaint

    now = now or timezone.now()
    visited = Complaint.objects.filter(ticket=ticket, return_visit_at__isnull=False).values_list(
        "return_visit_at", flat=True).first()
    if visited is not None and (ticket.reopened_at is None or visited >= ticket.reopened_at):
        return None
    pol = selectors.policy()
    due = selectors.add_working_hours(now, pol.complaint_delay_working_hours)
    return callback_schedule(customer=ticket.customer, reason=R.COMPLAINT_RETURN_VISIT, due_at=due, ticket=ticket,
                             owner=_default_owner(ticket=ticket, customer=ticket.customer), now=now)


def callbacks_key_accounts_create(*, now: datetime | None = None) -> int:
    """Monthly (policy: every N months) callback to each key account; once per customer and month."""
    from customers.models import Customer

    now = now or timezone.now()
    pol = selectors.policy()
    local = timezone.localtime(now)
    period = local.date().replace(day=1)
    months_since_epoch = period.year * 12 + period.month - 1
    if months_since_epoch % pol.key_account_interval_months:
        return 0
    due = selectors.add_working_days(now, 1)
    created = 0
    customers = Customer.objects.filter(is_key_account=True, merged_into__isnull=True).exclude(
        callbacks__reason=R.KEY_ACCOUNT, callbacks__period=period
    ).order_by("pk")
    for customer in customers.iterator(chunk_size=200):
        with transaction.atomic():
            if callback_schedule(customer=customer, reason=R.KEY_ACCOUNT, due_at=due, period=period,
                                 owner=_default_owner(customer=customer), now=now):
                created += 1
    return created


# --- Recording a call ---------------------------------------------------------------------------------------
def callback_record_attempt(
    *,
    callback: Callback,
    actor,
    reached: bool,
    outcome: str = "",
    notes: str = "",
    problem: str = "",
    action: str | None = None,
    now: datetime | None = None,
) -> Callback:
    """Record one call. No answer → retry the next working half-day, and after the allowed number of
    attempts the callback is "unreachable". Reached → satisfied or not; not satisfied reopens the
    ticket or opens a complaint (agent's choice, default from policy). A problem raised on the call
    must get an answer within 5 working days (domain.md §6): a follow-up callback is scheduled.
    """
    now = now or timezone.now()
    pol = selectors.policy()
    if reached and outcome not in Callback.Outcome.values:
        raise ValidationError(_("Say whether the customer is satisfied."), code="outcome_required")
    if action is None:
        action = pol.dissatisfied_action
    if action not in DissatisfiedAction.values:
        raise ValidationError(_("Choose what to do about the dissatisfaction."), code="action")
    with transaction.atomic():
        cb = Callback.objects.select_for_update(of=("self",)).get(pk=callback.pk)
        if cb.status != ST.PENDING:
            raise ValidationError(_("This callback is already closed."), code="closed")
        if cb.owner_id is None:
            cb.owner = actor
        CallbackAttempt.objects.create(
            callback=cb, by=actor, at=now, notes=notes,
            result=CallbackAttempt.Result.REACHED if reached else CallbackAttempt.Result.NO_ANSWER,
            outcome=outcome if reached else "",
        )
        cb.attempts += 1
        if notes:
            cb.notes = (cb.notes + "\n" if cb.notes else "") + notes
        ticket_message = ""
        if not reached:
            if cb.attempts >= cb.max_attempts:
                cb.status = ST.UNREACHABLE
                cb.completed_at = now
                cb.next_reminder_at = None
                ticket_message = _("Callback: customer unreachable after %(n)s attempts.") % {"n": cb.attempts}
                if cb.reason == R.COMPLAINT_RETURN_VISIT and cb.ticket_id:
                    _complaint_return_visit_recorded(cb=cb, actor=actor, notes=notes, now=now, outcome="unreachable")
            else:
                cb.due_at = selectors.add_working_hours(now, pol.retry_delay_working_hours)
                cb.next_reminder_at = cb.due_at
        else:
            cb.status = ST.DONE
            cb.outcome = outcome
            cb.completed_at = now
            cb.next_reminder_at = None
            ticket_message = (_("Callback: the customer is satisfied.") if outcome == Callback.Outcome.SATISFIED
                              else _("Callback: the customer is not satisfied."))
            if problem.strip():
                cb.problem = problem.strip()
                cb.answer_due_at = selectors.add_working_days(now, pol.problem_answer_working_days)
            if outcome == Callback.Outcome.NOT_SATISFIED and cb.ticket_id:
                _act_on_dissatisfaction(cb=cb, actor=actor, action=action, notes=notes, now=now)
        cb.save()
        if cb.ticket_id and ticket_message:
            from tickets.services import event_record

            event_record(ticket=cb.ticket, actor=actor, kind="callback", now=now, message=ticket_message,
                         after={"callback": cb.pk, "status": cb.status, "outcome": cb.outcome})
        if reached and cb.reason == R.COMPLAINT_RETURN_VISIT and cb.ticket_id:
            _complaint_return_visit_recorded(cb=cb, actor=actor, notes=notes, now=now)
        if cb.problem and cb.answer_due_at and reached:
            callback_schedule(customer=cb.customer, reason=R.CALLBACK_PROBLEM, due_at=cb.answer_due_at,
                              owner=cb.owner if selectors.can_work_callbacks(cb.owner) else _default_owner(ticket=cb.ticket, customer=cb.customer),
                              ticket=cb.ticket, created_by=actor, notes=cb.problem, parent=cb,
                              now=now)
    return cb


def _act_on_dissatisfaction(*, cb: Callback, actor, action: str, notes: str, now: datetime) -> None:
    from tickets.models import Ticket
    from tickets.services import ticket_create, ticket_transition

    ticket = cb.ticket
    if action == DissatisfiedAction.REOPEN:
        if ticket.status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED):
            ticket_transition(ticket=ticket, to_status=Ticket.Status.REOPENED, actor=actor, now=now,
                              reason=_("Customer not satisfied on the callback: %(notes)s") % {"notes": notes})
            cb.action_taken = DissatisfiedAction.REOPEN
        elif ticket.status in Ticket.OPEN_STATUSES:
            cb.action_taken = DissatisfiedAction.NONE  # already being worked on
        else:
            raise ValidationError(_("This ticket cannot be reopened; open a complaint instead."), code="no_reopen")
    elif action == DissatisfiedAction.COMPLAINT:
        complaint = ticket_create(
            customer=ticket.customer, kind=Ticket.Kind.COMPLAINT, created_by=actor, channel="callback",
            subject=_("Not satisfied after %(number)s") % {"number": ticket.number},
            description=_("Raised on the callback for %(number)s (%(subject)s).\n\n%(notes)s") % {
                "number": ticket.number, "subject": ticket.subject, "notes": notes},
            asset=ticket.asset, team=ticket.team, assignee=actor, now=now,
        )
        cb.follow_up_ticket = complaint
        cb.action_taken = DissatisfiedAction.COMPLAINT
    else:
        cb.action_taken = DissatisfiedAction.NONE


def _complaint_return_visit_recorded(*, cb: Callback, actor, notes: str, now: datetime, outcome: str = "") -> None:
    """Tell the tickets area the complaint's return visit happened (a complaint closes only after it)."""
    from tickets import services as ticket_services

    record = getattr(ticket_services, "complaint_record_return_visit", None)
    if record is None:  # the complaint service is not there yet; the ticket event above records it
        return
    record(ticket=cb.ticket, actor=actor, outcome=outcome or cb.outcome, notes=notes, now=now, via_callback=True)


def callback_complete_from_complaint(*, ticket, actor, outcome: str, notes: str = "",
                                     now: datetime | None = None) -> int:
    """The return visit was recorded on the complaint itself: its pending "Complaint return visit"
    callback is that same call, so it is completed here (one fact, not two). Returns callbacks completed."""
    from tickets.services import event_record

    now = now or timezone.now()
    reached = outcome in Callback.Outcome.values
    with transaction.atomic():
        pending = list(Callback.objects.select_for_update(of=("self",)).filter(
            ticket=ticket, reason=R.COMPLAINT_RETURN_VISIT, status=ST.PENDING))
        for cb in pending:
            CallbackAttempt.objects.create(
                callback=cb, by=actor, at=now, notes=notes,
                result=CallbackAttempt.Result.REACHED if reached else CallbackAttempt.Result.NO_ANSWER,
                outcome=outcome if reached else "",
            )
            cb.attempts += 1
            cb.status = ST.DONE if reached else ST.UNREACHABLE
            cb.outcome = outcome if reached else ""
            cb.completed_at = now
            cb.next_reminder_at = None
            if cb.owner_id is None:
                cb.owner = actor
            note = _("Done with the return visit recorded on the complaint.")
            cb.notes = "\n".join(part for part in (cb.notes, notes, note) if part)
            cb.save()
            event_record(ticket=ticket, actor=actor, kind="callback", now=now, message=note,
                         after={"callback": cb.pk, "status": cb.status, "outcome": cb.outcome})
    return len(pending)


def callback_cancel(*, callback: Callback, actor, reason: str, now: datetime | None = None) -> Callback:
    now = now or timezone.now()
    if not reason.strip():
        raise ValidationError(_("Give a reason for cancelling."), code="reason_required")
    with transaction.atomic():
        cb = Callback.objects.select_for_update(of=("self",)).get(pk=callback.pk)
        if cb.status != ST.PENDING:
            raise ValidationError(_("This callback is already closed."), code="closed")
        cb.status = ST.CANCELLED
        cb.completed_at = now
        cb.next_reminder_at = None
        cb.notes = (cb.notes + "\n" if cb.notes else "") + _("Cancelled: %(reason)s") % {"reason": reason.strip()}
        cb.save()
    return cb


# --- Reminders -------------------------------------------------------------------------------------------
def callback_reminders_sweep(*, now: datetime | None = None, batch: int = 100) -> int:
    """Remind each owner once when their callback falls due (Healthchecks-style sweep).

    Rows due for a reminder are found through the partial index on next_reminder_at and claimed with
    SKIP LOCKED; the CallbackReminder (callback, due_at) constraint makes it once even if two sweeps
    run at the same time or a sweep runs twice.
    """
    from servicedesk.preferences import Message, Note
    from servicedesk.services import notify_many

    now = now or timezone.now()
    sent = 0
    while True:
        with transaction.atomic():
            rows = list(
                Callback.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(next_reminder_at__isnull=False, next_reminder_at__lte=now)
                .select_related("customer", "owner", "ticket")
                .order_by("next_reminder_at", "pk")[:batch]
            )
            if not rows:
                return sent
            # Set-based (style.md §16): a fixed handful of statements per batch, whatever its size.
            Callback.objects.filter(pk__in=[cb.pk for cb in rows]).update(next_reminder_at=None)
            due = _reminders_record([cb for cb in rows if cb.status == ST.PENDING and cb.owner_id is not None], now)
            notify_many([
                Note(recipient=cb.owner, kind="callback_due",
                     group=f"ticket:{cb.ticket_id}" if cb.ticket_id else f"callback:{cb.pk}",
                     message=Message(gettext_lazy("Callback due: %(customer)s (%(reason)s)"),
                                     {"customer": cb.customer.name, "reason": R(cb.reason).label}),
                     url=reverse("followups:callback", args=[cb.pk]))
                for cb in due
            ], email=True)
            sent += len(due)
            if len(rows) < batch:
                return sent


def _reminders_record(callbacks: list[Callback], now: datetime) -> list[Callback]:
    """Insert the CallbackReminder (callback, due_at) rows not yet there; return the callbacks whose row is new."""
    if not callbacks:
        return []
    already = set(CallbackReminder.objects.filter(callback__in=callbacks).values_list("callback_id", "due_at"))
    rows = {cb.pk: CallbackReminder(callback=cb, due_at=cb.due_at, sent_at=now)
            for cb in callbacks if (cb.pk, cb.due_at) not in already}
    from servicedesk.once import insert_new

    new = {row.callback_id for row in insert_new(CallbackReminder, list(rows.values()))}
    return [cb for cb in callbacks if cb.pk in new]


def callback_digests_send(*, now: datetime | None = None) -> int:
    """The morning digest: each owner with callbacks due today or overdue gets one message a day."""
    from django.db.models import Count, Q

    from servicedesk.preferences import Message, Note
    from servicedesk.services import notify_many

    now = now or timezone.now()
    local = timezone.localtime(now)
    day = local.date()
    end_of_day = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    User = get_user_model()
    owners = list(
        User.objects.filter(callbacks__status=ST.PENDING, callbacks__due_at__lt=end_of_day)
        .annotate(n=Count("callbacks", filter=Q(callbacks__status=ST.PENDING, callbacks__due_at__lt=end_of_day)))
        .order_by("pk")
    )
    if not owners:
        return 0
    # Set-based (style.md §16): the digests of all owners in one INSERT, their messages in one notify_many
    # (languages, roles and channel choices read once for everyone, not per owner).
    from servicedesk.once import insert_new

    with transaction.atomic():
        already = set(CallbackDigest.objects.filter(owner__in=owners, day=day).values_list("owner_id", flat=True))
        digests = insert_new(CallbackDigest, [CallbackDigest(owner=owner, day=day, count=owner.n, sent_at=now)
                                               for owner in owners if owner.pk not in already])
        new = {digest.owner_id for digest in digests}
        url = reverse("followups:callbacks")
        notify_many([
            Note(recipient=owner, kind="callback_digest", group=f"callbacks:{day}", url=url,
                 message=Message(gettext_lazy("Good morning: %(n)s callbacks to make today."), {"n": owner.n}))
            for owner in owners if owner.pk in new
        ], email=True)
    return len(new)


# --- Surveys -----------------------------------------------------------------------------------------------
TOKEN_SALT = "followups.survey.v1"


class SurveyTokenError(Exception):
    """Forged, tampered or revoked: one friendly page, identical whatever the cause."""

    status = 400


class SurveyExpired(SurveyTokenError):
    status = 410


class SurveyAlreadyAnswered(SurveyTokenError):
    status = 200


def survey_token(invitation: SurveyInvitation) -> str:
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=TOKEN_SALT, compress=False)


def survey_invitation_for_token(token: str, *, now: datetime | None = None) -> SurveyInvitation:
    """The invitation a token opens, or SurveyTokenError / SurveyExpired / SurveyAlreadyAnswered."""
    now = now or timezone.now()
    try:
        data = signing.loads(token, salt=TOKEN_SALT)
        pk, nonce = int(data["i"]), str(data["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise SurveyTokenError from None
    invitation = (
        SurveyInvitation.objects.select_related("customer", "ticket").filter(pk=pk).first()
    )
    if invitation is None or not secrets.compare_digest(invitation.nonce, nonce):
        raise SurveyTokenError
    if invitation.used_at is not None:
        raise SurveyAlreadyAnswered
    if invitation.expires_at <= now:
        raise SurveyExpired
    return invitation


SURVEY_MESSAGE = "survey.link"


def _survey_address(customer) -> tuple[str, str]:
    """(channel, address) for a survey link: the survey backend's channel decides e-mail or SMS."""
    from customers.models import CustomerPhone

    from .delivery import get_backend

    if get_backend().channel == "email":
        return "email", customer.email
    phone = (CustomerPhone.objects.filter(customer=customer).order_by("-is_primary", "label", "pk").first())
    return "sms", phone.number if phone else ""


def survey_invitation_create(*, ticket=None, customer=None, technician=None, work_order=None,
                             now: datetime | None = None) -> SurveyInvitation | None:
    """One invitation per ticket (unique); the link is an outbox message written in the same
    transaction (servicedesk/outbox.py), so it is sent once even if the broker is down."""
    from servicedesk.outbox import outbox_add

    now = now or timezone.now()
    customer = customer or ticket.customer
    pol = selectors.policy()
    channel, to = _survey_address(customer)
    invitation = SurveyInvitation(
        customer=customer, ticket=ticket, technician=technician, work_order=work_order, nonce=secrets.token_hex(16),
        language=customer.preferred_language or "zh-hans", created_at=now,
        expires_at=now + timedelta(days=pol.survey_expiry_days),
        delivery_status=SurveyInvitation.Delivery.PENDING if to else SurveyInvitation.Delivery.NO_ADDRESS,
        delivery_channel=channel if to else "", delivered_to=to,
    )
    try:
        with transaction.atomic():
            invitation.save()
            if to:
                with translation.override(invitation.language):
                    subject = _("How did we do?")
                outbox_add(kind=SURVEY_MESSAGE, channel=channel, to=to, subject=subject,
                           body=survey_message(invitation), source=invitation, now=now)
    except IntegrityError:
        return None
    _rollup_add(month=timezone.localtime(now).date().replace(day=1), keys=_invitation_keys(invitation),
                deltas={"invited": 1})
    return invitation


def survey_message(invitation: SurveyInvitation, *, base_url: str = "") -> str:
    from django.conf import settings

    link = (base_url or getattr(settings, "SITE_URL", "http://127.0.0.1:8000")).rstrip("/") + reverse(
        "followups:survey", args=[survey_token(invitation)]
    )
    with translation.override(invitation.language):
        number = invitation.ticket.number if invitation.ticket_id else ""
        return _("Thank you for choosing us. How did we do on %(number)s? 30 seconds: %(link)s") % {
            "number": number, "link": link}


def survey_delivery_marked(message) -> None:
    """Outbox hook: the invitation's delivery columns follow its outbox row."""
    from servicedesk.models import OutboxMessage

    S, D = OutboxMessage.Status, SurveyInvitation.Delivery
    fields = {"delivery_attempts": message.attempts, "delivery_error": message.last_error[:500]}
    if message.status == S.SENT:
        fields.update(delivery_status=D.SENT, sent_at=message.sent_at, delivery_error="")
    elif message.status == S.FAILED:
        fields["delivery_status"] = D.FAILED
    else:
        fields["delivery_status"] = D.PENDING
    SurveyInvitation.objects.filter(pk=message.source_id).update(**fields)


def survey_submit(*, invitation: SurveyInvitation, answers: dict, now: datetime | None = None) -> SurveyResponse:
    """Count the customer's answers once: the invitation is claimed by a compare-and-set update and
    the response is unique per invitation, so two simultaneous submissions count exactly once."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = SurveyInvitation.objects.filter(
            pk=invitation.pk, used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if claimed != 1:
            fresh = SurveyInvitation.objects.filter(pk=invitation.pk).values_list("used_at", flat=True).first()
            if fresh is not None:
                raise SurveyAlreadyAnswered
            raise SurveyExpired
        ticket = invitation.ticket
        customer = invitation.customer
        local = timezone.localtime(now)
        response = SurveyResponse(
            invitation=invitation, submitted_at=now, month=local.date().replace(day=1), customer=customer,
            ticket=ticket, tier=customer.tier, region_id=customer.region_id,
            channel=ticket.channel if ticket else "", ticket_kind=ticket.kind if ticket else "",
            agent_id=ticket.assignee_id if ticket else None, technician_id=invitation.technician_id,
            comment=(answers.get("comment") or "").strip()[:2000],
            **{k: answers[k] for k in ("overall", "reliability", "responsiveness", "assurance", "empathy",
                                       "tangibles", "recommend")},
        )
        response.full_clean(exclude=["invitation"])
        try:
            with transaction.atomic():
                response.save()
        except IntegrityError:
            raise SurveyAlreadyAnswered from None
        _rollup_add(month=response.month, keys=_response_keys(response), deltas=_response_deltas(response))
        signals.survey_answered.send(sender=SurveyResponse, response=response, now=now)
        pol = selectors.policy()
        if response.overall <= pol.low_overall_max or response.recommend <= pol.low_recommend_max:
            _low_score_follow_up(response=response, now=now)
    return response


def _low_score_follow_up(*, response: SurveyResponse, now: datetime) -> Callback | None:
    """domain.md §6: a low score opens a follow-up for the supervisor at once."""
    from servicedesk.preferences import Message, Note
    from servicedesk.services import notify_many

    ticket = response.ticket
    supervisors = _supervisors_for(ticket)
    owner = supervisors[0] if supervisors else None
    notes = _("Survey: overall %(overall)s/5, recommend %(recommend)s/10. Comment: %(comment)s") % {
        "overall": response.overall, "recommend": response.recommend, "comment": response.comment or "—"}
    cb = callback_schedule(customer=response.customer, reason=R.SURVEY_LOW_SCORE, due_at=now, owner=owner,
                           ticket=ticket, technician=response.technician, notes=notes, survey_response=response,
                           now=now)
    if cb is not None:
        url = reverse("followups:callback", args=[cb.pk])
        notify_many([Note(recipient=sup, url=url, kind="survey_low_score",
                          group=f"ticket:{ticket.pk}" if ticket else f"callback:{cb.pk}",
                          message=Message(gettext_lazy("Low survey score from %(customer)s%(ticket)s"), {
                              "customer": response.customer.name,
                              "ticket": f" ({ticket.number})" if ticket else ""}))
                     for sup in supervisors], email=True)
    return cb


# --- Satisfaction rollup ----------------------------------------------------------------------------------------
ROLLUP_SCORES = ("overall", "reliability", "responsiveness", "assurance", "empathy", "tangibles", "recommend")


def _key(value) -> str:
    return "" if value is None else str(value)[:40]


def _response_keys(r: SurveyResponse) -> dict:
    return {"all": "", "tier": _key(r.tier), "region": _key(r.region_id), "channel": _key(r.channel),
            "ticket_kind": _key(r.ticket_kind), "agent": _key(r.agent_id), "technician": _key(r.technician_id)}


def _invitation_keys(inv: SurveyInvitation) -> dict:
    ticket = inv.ticket
    return {"all": "", "tier": _key(inv.customer.tier), "region": _key(inv.customer.region_id),
            "channel": _key(ticket.channel if ticket else ""), "ticket_kind": _key(ticket.kind if ticket else ""),
            "agent": _key(ticket.assignee_id if ticket else None), "technician": _key(inv.technician_id)}


def _response_deltas(r: SurveyResponse) -> dict:
    return {"n": 1, "satisfied": int(r.overall >= 4), "promoters": int(r.recommend >= 9),
            "detractors": int(r.recommend <= 6), **{f"sum_{f}": getattr(r, f) for f in ROLLUP_SCORES}}


def _rollup_add(*, month, keys: dict, deltas: dict) -> None:
    """Add to one cell per dimension: UPDATE … SET x = x + d, or INSERT the cell; a concurrent
    first insert of the same cell loses on the unique constraint and updates instead."""
    from django.db.models import F

    for dimension, key in keys.items():
        cell = SatisfactionRollup.objects.filter(month=month, dimension=dimension, key=key)
        updates = {f: F(f) + v for f, v in deltas.items()}
        if cell.update(**updates):
            continue
        try:
            with transaction.atomic():
                SatisfactionRollup.objects.create(month=month, dimension=dimension, key=key, **deltas)
        except IntegrityError:
            cell.update(**updates)


def satisfaction_rollup_rebuild() -> int:
    """Recompute every cell from the invitations and answers (after bulk loads, or to repair)."""
    from django.db.models import Count, Q, Sum
    from django.db.models.functions import TruncMonth

    cells: dict[tuple, dict] = {}
    resp_fields = {"all": None, "tier": "tier", "region": "region_id", "channel": "channel",
                   "ticket_kind": "ticket_kind", "agent": "agent_id", "technician": "technician_id"}
    agg = {"n": Count("id"), "satisfied": Count("id", filter=Q(overall__gte=4)),
           "promoters": Count("id", filter=Q(recommend__gte=9)), "detractors": Count("id", filter=Q(recommend__lte=6)),
           **{f"sum_{f}": Sum(f) for f in ROLLUP_SCORES}}
    for dimension, field in resp_fields.items():
        group = ["month"] + ([field] if field else [])
        for row in SurveyResponse.objects.values(*group).annotate(**agg).order_by():
            key = _key(row[field]) if field else ""
            cells.setdefault((row["month"], dimension, key), {}).update({k: row[k] or 0 for k in agg})
    inv_fields = {"all": None, "tier": "customer__tier", "region": "customer__region_id", "channel": "ticket__channel",
                  "ticket_kind": "ticket__kind", "agent": "ticket__assignee_id", "technician": "technician_id"}
    invitations = SurveyInvitation.objects.annotate(m=TruncMonth("created_at"))
    for dimension, field in inv_fields.items():
        group = ["m"] + ([field] if field else [])
        for row in invitations.values(*group).annotate(c=Count("id")).order_by():
            month = row["m"].date() if isinstance(row["m"], datetime) else row["m"]
            key = _key(row[field]) if field else ""
            cells.setdefault((month, dimension, key), {})["invited"] = row["c"]
    with transaction.atomic():
        SatisfactionRollup.objects.all().delete()
        SatisfactionRollup.objects.bulk_create(
            [SatisfactionRollup(month=m, dimension=d, key=k, **values) for (m, d, k), values in cells.items()],
            batch_size=1000)
    return len(cells)


# --- Signal receivers (connected in apps.py) ---------------------------------------------------------------------
def on_ticket_status_changed(sender, *, ticket, old_status, new_status, actor=None, now=None, **kwargs) -> None:
    from tickets.models import Ticket

    if new_status != Ticket.Status.RESOLVED:
        return
    now = now or timezone.now()
    if ticket.kind in Ticket.ON_SITE_KINDS:
        callback_after_repair(ticket=ticket, now=now)
    elif ticket.kind == Ticket.Kind.COMPLAINT:
        callback_complaint_return_visit(ticket=ticket, now=now)
    if ticket.kind != Ticket.Kind.COMPLAINT:
        survey_invitation_create(ticket=ticket, now=now)


def on_complaint_milestone(sender, *, ticket, milestone, now=None, **kwargs) -> None:
    """The remedy was given to the customer: schedule the return visit (idempotent)."""
    if milestone == "solution_sent":
        callback_complaint_return_visit(ticket=ticket, now=now or timezone.now())
    elif milestone == "return_visit" and not kwargs.get("via_callback"):
        callback_complete_from_complaint(ticket=ticket, actor=kwargs.get("actor"), outcome=kwargs.get("outcome", ""),
                                         notes=kwargs.get("notes", ""), now=now or timezone.now())


def on_workorder_closed(sender, *, work_order, now=None, **kwargs) -> None:
    """A closed work order (dispatch): repair callback and survey for its ticket, naming the
    technician (once: the unique constraints; the ticket's resolution right after adds nothing)."""
    now = now or timezone.now()
    ticket = work_order.ticket
    tech_user = work_order.technician.user if work_order.technician_id else None
    cb = callback_after_repair(ticket=ticket, technician=tech_user, now=now, signed_at=work_order.signed_at)
    if cb is not None:
        Callback.objects.filter(pk=cb.pk).update(work_order=work_order)
    else:
        Callback.objects.filter(ticket=ticket, status=ST.PENDING, reason__in=[R.AFTER_REPAIR, R.AFTER_INSTALLATION],
                                work_order__isnull=True).update(work_order=work_order, technician=tech_user)
    if survey_invitation_create(ticket=ticket, technician=tech_user, work_order=work_order, now=now) is None:
        SurveyInvitation.objects.filter(ticket=ticket, work_order__isnull=True, used_at__isnull=True).update(
            work_order=work_order, technician=tech_user)
