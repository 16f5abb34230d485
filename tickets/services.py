"""Writes for tickets (domain.md §3). Every change records a TicketEvent and sends its signal.

Each service locks the ticket row (select_for_update) for its read-then-write, bumps `version`
(optimistic concurrency for forms: pass `expected_version` and a stale form is refused), records
the timeline event and sends the seam signals inside the same transaction.
"""
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from customers.models import Customer
from servicedesk.bulk import build, insert_many
from servicedesk.numbering import next_in_sequence

from . import selectors, signals
from .models import (
    Complaint,
    ComplaintHandoff,
    Ticket,
    TicketAttachment,
    TicketCounter,
    TicketEvent,
    TicketReply,
    TicketSettings,
    TicketTag,
    Tag,
)

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


class StaleTicket(ValidationError):
    """The form was built from an older version of the ticket: someone else changed it meanwhile."""


def _next_number(*, kind: str, year: int) -> str:
    """Gap-free, sequential per kind and year (domain.md §3)."""
    last = next_in_sequence(TicketCounter, kind=kind, year=year)
    return f"{Ticket.NUMBER_PREFIX[kind]}-{year}-{last:06d}"


def event_record(*, ticket: Ticket, actor, kind: str, now: datetime, field: str = "", before=None, after=None,
                 message: str = "") -> TicketEvent:
    """One timeline row, written as the sweeps write theirs (servicedesk.bulk): the same row as
    TicketEvent.objects.create, without the model save path's per-field work (nothing listens to its
    signals); a ticket opened writes two."""
    return insert_many([build(TicketEvent, ticket=ticket, actor=actor, kind=kind, field=field, before=before,
                              after=after, message=message, created_at=now)])[0]


def _lock(ticket: Ticket, expected_version: int | None = None) -> Ticket:
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if expected_version is not None and int(expected_version) != locked.version:
        raise StaleTicket(
            _("Someone else changed this ticket while you were looking at it. Nothing was saved: check the "
              "latest version below and try again."),
            code="stale",
        )
    return locked


def _save(locked: Ticket, fields: list[str], original: Ticket | None = None) -> Ticket:
    locked.version += 1
    locked.save(update_fields=[*fields, "version", "updated_at"])
    if original is not None and original is not locked:
        # Keep the caller's object current, so a caller chaining services does not trip on its own version.
        for f in [*fields, "version", "updated_at"]:
            setattr(original, f, getattr(locked, f))
    return locked


def _customer_merged() -> ValidationError:
    return ValidationError(_("This customer was merged into another one; open the ticket there."),
                           code="customer_merged")


def _require_text(value: str, message: str, code: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(message, code=code)
    return value


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
    fault_alert: bool = True,
    clocks_from: datetime | None = None,
) -> Ticket:
    """Open a ticket with its number (SR-2026-000123) and tell the SLA clocks it started.

    Complaints get their handling form (Complaint row) at once: domain.md §3 "record at once".
    `fault_alert=False`: a repair the department planned itself (a maintenance visit) is no fault the
    customer reported, so a key account's manager is not alerted.
    `clocks_from`: when the SLA clocks start, if later than the opening (a planned visit opened days
    ahead is measured from its visit window, not from the day the planner made it); passed to the SLA
    area with the ticket_opened signal.
    """
    pinned = now is not None
    now = now or timezone.now()
    if asset is not None and asset.customer_id != customer.pk:
        raise ValidationError(_("That asset belongs to another customer."), code="asset_customer")
    if getattr(customer, "merged_into_id", None):
        raise _customer_merged()
    with transaction.atomic():
        year = timezone.localtime(now).year
        # The key-account copy is read under a row lock that customer_update's FOR UPDATE also takes:
        # a flag flipped while this ticket is being opened either is seen here or, waiting for this
        # commit, reaches this ticket through tickets_sync_key_account — never lost in between.
        if connection.features.has_select_for_update:
            # ... and a merge (customer_merge locks the row FOR UPDATE) that committed while this waited is
            # seen here: no ticket lands on the tombstone after its rows were moved.
            key_account, merged_into = (Customer.objects.select_for_update(no_key=True).filter(pk=customer.pk)
                                        .values_list("is_key_account", "merged_into_id").first())
            if merged_into:
                raise _customer_merged()
        else:
            key_account = customer.is_key_account
        ticket = Ticket(
            number=_next_number(kind=kind, year=year),
            kind=kind,
            subject=(subject or "").strip(),
            description=description,
            channel=channel,
            priority=priority,
            customer=customer,
            asset=asset,
            team=team,
            assignee=assignee,
            created_by=created_by,
            # Issue 17: the green channel's copy of the customer's flag, and 首问责任制 — a person who
            # opens the ticket owns the first inquiry; a system account (portal, mail, API) does not.
            is_key_account=bool(key_account),
            first_inquiry_owner=None if is_system_account(created_by) else created_by,
        )
        # The related rows are the caller's objects (no existence queries needed), the number is unique
        # by construction (the locked counter; the unique index stays the guarantee) and the field
        # checks already cover what the check constraints hold (each would be a query): values only.
        ticket.full_clean(exclude=["customer", "asset", "team", "assignee", "created_by", "first_inquiry_owner"], validate_unique=False,
                          validate_constraints=False)
        # INSERT as the sweeps write (servicedesk.bulk): Model.save's per-field insert path cost ~0.4 ms of the
        # ~7 ms a ticket opened takes; nothing listens to the ticket's save signals.
        insert_many([ticket])
        if pinned:  # created_at is auto_now_add; pin it to the caller's `now` so the timeline and the SLA agree
            Ticket.objects.filter(pk=ticket.pk).update(created_at=now)
            ticket.created_at = now
        else:  # else the row's own timestamp is `now` for the event and the SLA clocks
            now = ticket.created_at
        event_record(ticket=ticket, actor=created_by, kind="created", now=now,
                     after={"number": ticket.number, "kind": kind, "priority": priority, "channel": channel,
                            "assignee": assignee.pk if assignee else None})
        if kind == Ticket.Kind.COMPLAINT:
            Complaint.objects.create(ticket=ticket)
        if contact is not None:
            contact.ticket = ticket
            contact.save(update_fields=["ticket"])
        signals.ticket_opened.send(sender=Ticket, ticket=ticket, now=now, clocks_from=clocks_from)
        if fault_alert and ticket.is_key_account and kind == Ticket.Kind.REPAIR:
            _key_account_fault_notify(ticket, actor=created_by)
    return ticket


# --- Issue 17: green channel and first-inquiry ownership -------------------------------------------

KEY_ACCOUNT_FAULT = "key_account_fault"
FIRST_INQUIRY_PROGRESS = "first_inquiry_progress"


def is_system_account(user) -> bool:
    """The inactive, password-less accounts automatic channels act under (servicedesk.services.system_user):
    the portal, incoming mail, API keys. They are nobody's first inquiry."""
    return user is None or (not user.is_active and not user.has_usable_password())


def _key_account_fault_notify(ticket: Ticket, *, actor) -> None:
    """A fault from a key account reaches its account manager at once (issue 17, green channel), by the
    bell kind "key_account_fault" (their channel choice applies). No account manager, or an inactive
    one, or the manager who opened it themselves: nobody extra is told, and the timeline says why when
    there is none, so the gap is visible."""
    from django.urls import reverse
    from django.utils.translation import gettext_lazy

    from servicedesk.preferences import Message, Note
    from servicedesk.services import notify_many

    manager = ticket.customer.account_manager if ticket.customer.account_manager_id else None
    if manager is None or not manager.is_active or not manager.has_perm("tickets.view_ticket"):
        event_record(ticket=ticket, actor=None, kind="key_account_no_manager", now=ticket.created_at,
                     message="")
        return
    if actor is not None and manager.pk == actor.pk:
        return
    message = Message(gettext_lazy("Key account %(customer)s reported a fault: %(number)s %(subject)s"),
                      {"customer": ticket.customer.name[:120], "number": ticket.number,
                       "subject": ticket.subject[:120]})
    notify_many([Note(recipient=manager, message=message, url=reverse("tickets:detail", args=[ticket.pk]),
                      kind=KEY_ACCOUNT_FAULT, group=f"ticket:{ticket.pk}")], email=True)


def _claim_first_inquiry(locked: Ticket, *, actor, now: datetime, how: str) -> None:
    """首问责任制 for a ticket that arrived through a system account: the first person who acts on it
    (takes it, replies, changes its status) becomes its first-inquiry owner. Compare-and-set, so two
    people acting at once cannot both become it."""
    if locked.first_inquiry_owner_id is not None or is_system_account(actor):
        return
    if not actor.has_perm("tickets.view_ticket"):
        return  # a technician closing the work order resolves the ticket but never sees it: not its owner
    if Ticket.objects.filter(pk=locked.pk, first_inquiry_owner__isnull=True).update(first_inquiry_owner=actor) != 1:
        return
    locked.first_inquiry_owner = actor
    event_record(ticket=locked, actor=actor, kind="first_inquiry", field="first_inquiry_owner", before=None,
                 after={"user": actor.pk, "name": actor.get_full_name() or actor.get_username()}, message=how, now=now)


def _first_inquiry_progress_notify(locked: Ticket, *, actor, old_status: str, new_status: str) -> None:
    """The first-inquiry owner hears of the ticket's progress when someone else moves it (not of their own
    moves): bell kind "first_inquiry_progress", their channel choice applies."""
    if not locked.first_inquiry_owner_id or (actor is not None and actor.pk == locked.first_inquiry_owner_id):
        return
    owner = locked.first_inquiry_owner
    if not owner.is_active or not owner.has_perm("tickets.view_ticket"):
        return
    from django.urls import reverse
    from django.utils.translation import gettext_lazy

    from servicedesk.preferences import Message, Note
    from servicedesk.services import notify_many

    labels = dict(Ticket.Status.choices)
    message = Message(gettext_lazy("Your first-inquiry ticket %(number)s moved from %(old)s to %(new)s."),
                      {"number": locked.number, "old": labels.get(old_status, old_status),
                       "new": labels.get(new_status, new_status)})
    notify_many([Note(recipient=owner, message=message, url=reverse("tickets:detail", args=[locked.pk]),
                      kind=FIRST_INQUIRY_PROGRESS, group=f"ticket:{locked.pk}")], email=True)


def ticket_change_first_inquiry_owner(*, ticket: Ticket, owner, actor, reason: str,
                                      now: datetime | None = None, expected_version: int | None = None) -> Ticket:
    """Give the first inquiry to another staff member: only a supervisor's decision (tickets.reassign_ticket),
    with a reason, recorded on the timeline (首问责任制: the owner answers for the request until it closes)."""
    now = now or timezone.now()
    if actor is None or not actor.has_perm("tickets.reassign_ticket"):
        raise ValidationError(_("Only a supervisor can change a ticket's first-inquiry owner."),
                              code="first_inquiry_forbidden")
    reason = _require_text(reason, _("Give a reason for changing the first-inquiry owner."), "reason_required")
    if owner is None or is_system_account(owner) or not owner.is_active or not owner.has_perm("tickets.view_ticket"):
        raise ValidationError(_("The first-inquiry owner must be an active staff member who can see tickets."),
                              code="first_inquiry_owner_invalid")
    with transaction.atomic():
        locked = _lock(ticket, expected_version)
        old = locked.first_inquiry_owner
        if old is not None and old.pk == owner.pk:
            return locked
        locked.first_inquiry_owner = owner
        _save(locked, ["first_inquiry_owner"], original=ticket)
        event_record(ticket=locked, actor=actor, kind="first_inquiry_changed", field="first_inquiry_owner",
                     before={"user": old.pk, "name": old.get_full_name() or old.get_username()} if old else None,
                     after={"user": owner.pk,
                                                  "name": owner.get_full_name() or owner.get_username()},
                     message=reason[:500], now=now)
    return locked


def tickets_sync_key_account(*, customer_id: int, is_key_account: bool) -> int:
    """Keep Ticket.is_key_account in step with the customer's flag: one UPDATE over that customer's
    tickets, in the caller's transaction (customers.services sends customer_key_account_changed)."""
    return (Ticket.objects.filter(customer_id=customer_id).exclude(is_key_account=is_key_account)
            .update(is_key_account=is_key_account))


def _reopen_deadline(ticket: Ticket) -> datetime | None:
    since = ticket.closed_at or ticket.resolved_at
    if since is None:
        return None
    return since + timedelta(days=TicketSettings.current().reopen_window_days)


def allowed_transitions(ticket: Ticket, *, now: datetime | None = None) -> list[str]:
    """The statuses this ticket may move to now (used by the page to offer only those actions)."""
    now = now or timezone.now()
    out = []
    for target in TRANSITIONS.get(ticket.status, set()):
        if target == S.REOPENED:
            deadline = _reopen_deadline(ticket)
            if deadline is None or now > deadline:
                continue
        out.append(target)
    order = [s for s, _label in S.choices]
    return sorted(out, key=order.index)


def _check_transition(locked: Ticket, to_status: str, *, now: datetime, reason: str) -> None:
    old = locked.status
    if to_status not in TRANSITIONS.get(old, set()):
        raise ValidationError(
            _("A ticket that is “%(old)s” cannot become “%(new)s”."),
            code="illegal_transition",
            params={"old": S(old).label, "new": S(to_status).label},
        )
    if to_status == S.CANCELLED and not (reason or "").strip():
        raise ValidationError(_("Give a reason for cancelling."), code="reason_required")
    if to_status == S.REOPENED:
        deadline = _reopen_deadline(locked)
        if deadline is not None and now > deadline:
            raise ValidationError(
                _("This ticket can no longer be reopened: the %(days)s-day window ended on %(date)s. "
                  "Open a new ticket instead."),
                code="reopen_window",
                params={"days": TicketSettings.current().reopen_window_days,
                        "date": timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M")},
            )
    if locked.kind == Ticket.Kind.COMPLAINT:
        complaint = Complaint.objects.filter(ticket=locked).first()
        if to_status == S.RESOLVED and (complaint is None or complaint.decided_at is None):
            raise ValidationError(
                _("A complaint is resolved only after the supervisor has decided how it is handled."),
                code="complaint_not_decided",
            )
        if to_status == S.CLOSED and (complaint is None or complaint.return_visit_at is None):
            raise ValidationError(
                _("A complaint is closed only after the return visit to the customer."),
                code="complaint_no_return_visit",
            )


def _apply_transition(locked: Ticket, to_status: str, *, actor, now: datetime, reason: str,
                      extra_fields: list[str] = (), after_extra: dict | None = None) -> Ticket:
    old = locked.status
    _check_transition(locked, to_status, now=now, reason=reason)
    locked.status = to_status
    fields = ["status", *extra_fields]
    if to_status == S.RESOLVED:
        locked.resolved_at = now
        fields.append("resolved_at")
    elif to_status == S.CLOSED:
        locked.closed_at = now
        fields.append("closed_at")
    elif to_status == S.CANCELLED:
        locked.cancel_reason = reason.strip()
        fields.append("cancel_reason")
    elif to_status == S.REOPENED:
        # The earlier resolution stays on the timeline; the ticket is open again.
        locked.resolved_at = None
        locked.closed_at = None
        locked.reopened_at = now
        fields += ["resolved_at", "closed_at", "reopened_at"]
    _save(locked, fields)
    event_record(ticket=locked, actor=actor, kind="status", field="status", before=old,
                 after=to_status if not after_extra else {"status": to_status, **after_extra},
                 message=(reason or "").strip(), now=now)
    if locked.kind == Ticket.Kind.COMPLAINT and to_status in (S.RESOLVED, S.CLOSED, S.CANCELLED):
        # A complaint that is settled (or cancelled) no longer waits on a department: its open hand-off is
        # withdrawn, its clocks stopped undecided — before the status signal stops the ticket's own clocks,
        # which would judge a department that never answered as "met" — and a refusal stops waiting for the
        # supervisor (it leaves "Refused by a department").
        _handoffs_settle(locked, actor=actor, now=now)
    signals.ticket_status_changed.send(
        sender=Ticket, ticket=locked, old_status=old, new_status=to_status, actor=actor, now=now
    )
    _claim_first_inquiry(locked, actor=actor, now=now, how="status")
    _first_inquiry_progress_notify(locked, actor=actor, old_status=old, new_status=to_status)
    if locked.kind == Ticket.Kind.COMPLAINT:
        complaint = Complaint.objects.select_for_update().filter(ticket=locked).first()
        if complaint is not None:
            _complaint_sync_stage(locked, complaint, actor=actor, now=now)
    return locked


def ticket_transition(*, ticket: Ticket, to_status: str, actor, now: datetime | None = None, reason: str = "",
                      expected_version: int | None = None) -> Ticket:
    """Move a ticket along the state machine; an illegal move raises a translatable ValidationError.

    domain.md §3: cancelled needs a reason; reopened only within the manager's window (TicketSettings);
    a complaint resolves only after the supervisor's decision and closes only after the return visit.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(ticket, expected_version)
        _apply_transition(locked, to_status, actor=actor, now=now, reason=reason)
    return locked


def ticket_resolve(*, ticket: Ticket, actor, fault_cause=None, solution: str = "", now: datetime | None = None,
                   expected_version: int | None = None) -> Ticket:
    """Resolve with the fault cause (from the managed list) and the solution text (domain.md §3)."""
    now = now or timezone.now()
    if fault_cause is not None and not fault_cause.is_active:
        raise ValidationError(_("That fault cause is no longer in use."), code="fault_cause_inactive")
    with transaction.atomic():
        locked = _lock(ticket, expected_version)
        locked.fault_cause = fault_cause
        locked.solution = (solution or "").strip()
        _apply_transition(
            locked, S.RESOLVED, actor=actor, now=now, reason="", extra_fields=["fault_cause", "solution"],
            after_extra={"fault_cause": fault_cause.name if fault_cause else None,
                         "fault_cause_en": fault_cause.name_en if fault_cause else None, "solution": locked.solution},
        )
    return locked


def ticket_assign(*, ticket: Ticket, assignee, actor, team=None, reason: str = "", now: datetime | None = None,
                  expected_version: int | None = None) -> Ticket:
    """Give the ticket an owner (事事有着落). "Take it" is assignee=actor.

    An agent may take or assign an unassigned ticket and hand on their own; moving someone else's
    ticket needs tickets.reassign_ticket (supervisors). Taking a ticket from someone, or handing it
    on, needs a reason. actor=None is the system (SLA escalation).
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(ticket, expected_version)
        if locked.status in (S.CLOSED, S.CANCELLED):
            raise ValidationError(_("A closed or cancelled ticket cannot be assigned."), code="assign_closed")
        if assignee is not None and not (assignee.is_active and assignee.has_perm("tickets.work_ticket")):
            raise ValidationError(_("%(name)s cannot work tickets."), code="assignee_not_agent",
                                  params={"name": assignee.get_full_name() or assignee.get_username()})
        old_assignee = locked.assignee_id
        if actor is not None and old_assignee not in (None, actor.pk) and not actor.has_perm("tickets.reassign_ticket"):
            raise ValidationError(_("Only a supervisor can reassign a ticket someone else owns."),
                                  code="reassign_forbidden")
        if old_assignee is not None and old_assignee != getattr(assignee, "pk", None) and not (reason or "").strip():
            raise ValidationError(_("Give a reason for reassigning."), code="reason_required")
        new_team = team
        if new_team is None:
            new_team = locked.team
            if new_team is None and assignee is not None:
                profile = getattr(assignee, "profile", None)
                new_team = getattr(profile, "team", None) if profile is not None else None
        if old_assignee == getattr(assignee, "pk", None) and locked.team_id == getattr(new_team, "pk", None):
            return locked  # nothing changes, nothing to record
        old_team = locked.team_id
        locked.assignee = assignee
        locked.team = new_team
        _save(locked, ["assignee", "team"], original=ticket)
        kind = "taken" if assignee is not None and actor is not None and assignee.pk == actor.pk else "assigned"
        event_record(ticket=locked, actor=actor, kind=kind, field="assignee",
                     before={"assignee": old_assignee, "team": old_team},
                     after={"assignee": getattr(assignee, "pk", None), "team": getattr(new_team, "pk", None)},
                     message=(reason or "").strip(), now=now)
        signals.ticket_changed.send(sender=Ticket, ticket=locked, field="assignee", before=old_assignee,
                                    after=getattr(assignee, "pk", None), now=now)
        if kind == "taken":
            _claim_first_inquiry(locked, actor=actor, now=now, how="taken")
    return locked


def ticket_set_priority(*, ticket: Ticket, priority: int, actor, reason: str = "", now: datetime | None = None,
                        expected_version: int | None = None) -> Ticket:
    """Change the priority (actor None = the SLA engine raising it at breach)."""
    now = now or timezone.now()
    priority = int(priority)
    if priority not in Ticket.Priority.values:
        raise ValidationError(_("Unknown priority."), code="priority")
    with transaction.atomic():
        locked = _lock(ticket, expected_version)
        old = locked.priority
        if old == priority:
            return locked
        if actor is not None and locked.status in (S.CLOSED, S.CANCELLED):
            # As the ticket page offers no priority then: a bulk change or a macro must not either.
            raise ValidationError(_("A closed or cancelled ticket's priority does not change."),
                                  code="priority_closed")
        locked.priority = priority
        _save(locked, ["priority"], original=ticket)
        event_record(ticket=locked, actor=actor, kind="priority", field="priority", before=old, after=priority,
                     message=(reason or "").strip(), now=now)
        signals.ticket_changed.send(sender=Ticket, ticket=locked, field="priority", before=old, after=priority,
                                    now=now)
    return locked


BREACH_EXEMPT_STATUSES = (S.CLOSED, S.CANCELLED, S.RESOLVED)


def tickets_raise_priority_for_breach(*, tickets: list[Ticket], reasons: dict[int, list[str]],
                                      now: datetime) -> list[TicketEvent]:
    """The SLA sweep's batch form of ticket_set_priority (domain.md §4: each breach raises the
    priority one step, never past urgent; a closed, cancelled or resolved ticket is left alone).

    `reasons` maps a ticket id to one reason per newly breached clock of that ticket: each raises
    one step. Set-based (style.md §16): one UPDATE per distinct (old → new) priority, one INSERT of
    the timeline events, whatever the batch size. The timeline reads as if ticket_set_priority had
    been called once per breach (one event per step, actor None, with that breach's reason); the
    ticket's version moves once, and ticket_changed is sent once per changed ticket (before → after).

    Precondition: the caller holds every ticket row locked (select_for_update in the current
    transaction) and the objects are current, as the sweep's batch does; nothing is re-read. The
    UPDATE still compares the old priority and refuses (IntegrityError, the caller's transaction
    rolls back) if a row was not what the object said. The objects are updated in place.
    """
    from django.db.models import F

    events: list[TicketEvent] = []
    moves: dict[tuple[int, int], list[Ticket]] = {}
    for ticket in tickets:
        steps = reasons.get(ticket.pk) or []
        if not steps or ticket.status in BREACH_EXEMPT_STATUSES:
            continue
        old = priority = ticket.priority
        for reason in steps:
            if priority <= Ticket.Priority.URGENT:
                break
            events.append(build(TicketEvent, ticket=ticket, actor=None, kind="priority", field="priority",
                              before=priority, after=priority - 1, message=(reason or "").strip(), created_at=now))
            priority -= 1
        if priority != old:
            moves.setdefault((old, priority), []).append(ticket)
    if not moves:
        return []
    updated_at = timezone.now()  # what _save's auto_now would write
    with transaction.atomic(savepoint=False):
        for (old, new), group in moves.items():
            ids = [t.pk for t in group]
            count = Ticket.objects.filter(pk__in=ids, priority=old).update(
                priority=new, version=F("version") + 1, updated_at=updated_at
            )
            if count != len(ids):
                raise IntegrityError(f"tickets_raise_priority_for_breach: {len(ids) - count} of {len(ids)} tickets "
                                     f"were not at priority {old} (not locked by the caller?)")
            for t in group:
                t.priority, t.version, t.updated_at = new, t.version + 1, updated_at
        insert_many(events)
        for (old, new), group in moves.items():
            for t in group:
                signals.ticket_changed.send(sender=Ticket, ticket=t, field="priority", before=old, after=new, now=now)
    return events


def ticket_change_kind(*, ticket: Ticket, kind: str, actor, reason: str = "", now: datetime | None = None,
                       expected_version: int | None = None) -> Ticket:
    """Reclassify (e.g. an inquiry that turns out to be a complaint).

    The number stays: the customer was already told it. A ticket that becomes a complaint gets its
    handling form; ticket_changed(field="kind") lets the SLA area start the targets it now has.
    """
    now = now or timezone.now()
    if kind not in Ticket.Kind.values:
        raise ValidationError(_("Unknown ticket kind."), code="kind")
    with transaction.atomic():
        locked = _lock(ticket, expected_version)
        old = locked.kind
        if old == kind:
            return locked
        if locked.status in (S.CLOSED, S.CANCELLED):
            raise ValidationError(_("A closed or cancelled ticket cannot be reclassified."), code="kind_closed")
        locked.kind = kind
        _save(locked, ["kind"], original=ticket)
        event_record(ticket=locked, actor=actor, kind="kind", field="kind", before=old, after=kind,
                     message=(reason or "").strip(), now=now)
        if kind == Ticket.Kind.COMPLAINT:
            complaint, _created = Complaint.objects.get_or_create(ticket=locked)
            _complaint_sync_stage(locked, complaint, actor=actor, now=now)
        signals.ticket_changed.send(sender=Ticket, ticket=locked, field="kind", before=old, after=kind, now=now)
    return locked


EDITABLE_FIELDS = ("subject", "description", "channel", "asset")


def ticket_update(*, ticket: Ticket, actor, expected_version: int | None = None, now: datetime | None = None,
                  **changes) -> Ticket:
    """Edit the ticket's details; one event per field that actually changed (before → after)."""
    now = now or timezone.now()
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    with transaction.atomic():
        locked = _lock(ticket, expected_version)
        changed = []
        for field, value in changes.items():
            if field == "asset":
                if value is not None and value.customer_id != locked.customer_id:
                    raise ValidationError(_("That asset belongs to another customer."), code="asset_customer")
                before, after = locked.asset_id, getattr(value, "pk", None)
            else:
                value = value.strip() if isinstance(value, str) and field != "description" else value
                before, after = getattr(locked, field), value
            if before == after:
                continue
            setattr(locked, field, value)
            changed.append((field, before, after))
        if not changed:
            return locked
        locked.full_clean(exclude=["customer", "created_by", "assignee", "team", "fault_cause", "first_inquiry_owner"],
                          validate_constraints=False)  # the edit touches no constrained field
        _save(locked, [f for f, _b, _a in changed], original=ticket)
        for field, before, after in changed:
            event_record(ticket=locked, actor=actor, kind="changed", field=field, before=before, after=after, now=now)
    return locked


def _stamp_first_response(locked: Ticket, *, actor, now: datetime, how: str) -> bool:
    if locked.first_response_at is not None:
        return False
    locked.first_response_at = now
    Ticket.objects.filter(pk=locked.pk).update(first_response_at=now)
    event_record(ticket=locked, actor=actor, kind="first_response", field="first_response_at", before=None,
                 after=now.isoformat(), message=how, now=now)
    signals.ticket_first_response.send(sender=Ticket, ticket=locked, now=now)
    return True


def ticket_reply(*, ticket: Ticket, author, body: str, public: bool, now: datetime | None = None,
                 client_token: str | None = None, expected_version: int | None = None) -> TicketReply:
    """A public reply (emailed to the customer) or an internal note.

    The first public reply is the first response (domain.md §3). Idempotent per client_token: a
    double-clicked form returns the first reply instead of writing a second. The message to the
    customer is an outbox row written in this transaction (servicedesk/outbox.py): sent after commit,
    retried with back-off, never lost; the reply's delivery badge follows that row.
    """
    now = now or timezone.now()
    body = _require_text(body, _("Write something before sending."), "empty_body")
    token = (client_token or "").strip()[:64]
    with transaction.atomic():
        locked = _lock(ticket)
        if token:
            existing = TicketReply.objects.filter(ticket=locked, client_token=token).first()
            if existing is not None:
                return existing
        # After the token check: the first of a double-click already moved the version on.
        _lock(locked, expected_version)
        if public and locked.status == S.CANCELLED:
            raise ValidationError(_("This ticket was cancelled; open a new one to answer the customer."),
                                  code="reply_cancelled")
        Delivery = TicketReply.Delivery
        reply = TicketReply(ticket=locked, author=author, body=body, public=public, client_token=token,
                            created_at=now, delivery_status=Delivery.INTERNAL)
        outgoing = _reply_outgoing(reply, ticket=locked) if public else None
        if public:
            reply.delivery_status = Delivery.PENDING if outgoing else Delivery.NO_EMAIL
            if outgoing:
                reply.delivery_channel, reply.delivered_to = outgoing.channel, outgoing.to
        reply.full_clean(exclude=["ticket", "author"])
        try:
            with transaction.atomic():
                reply.save()
        except IntegrityError:
            # A concurrent double-submit with the same token won the insert: return that one.
            return TicketReply.objects.get(ticket=locked, client_token=token)
        _save(locked, [])
        event_record(ticket=locked, actor=author, kind="reply" if public else "note",
                     after={"reply": reply.pk, "public": public}, now=now)
        if public:
            _claim_first_inquiry(locked, actor=author, now=now, how="reply")
            _stamp_first_response(locked, actor=author, now=now, how="reply")
            if outgoing is not None:
                from servicedesk.outbox import outbox_add_many

                # Same transaction as the reply: the message exists exactly when the reply does.
                outbox_add_many([outgoing], now=now)
    return reply


def ticket_record_answer_contact(*, ticket: Ticket, actor, contact, now: datetime | None = None) -> Ticket:
    """A logged outbound contact (a call back to the customer) marked as the answer: the first response."""
    now = now or timezone.now()
    if contact.customer_id != ticket.customer_id:
        raise ValidationError(_("That contact was with another customer."), code="contact_customer")
    with transaction.atomic():
        locked = _lock(ticket)
        if contact.ticket_id != locked.pk:
            contact.ticket = locked
            contact.save(update_fields=["ticket"])
        event_record(ticket=locked, actor=actor, kind="contact", after={"contact": contact.pk},
                     message=contact.notes[:500], now=now)
        _stamp_first_response(locked, actor=actor, now=now, how="contact")
        _save(locked, [])
    return locked


REPLY_MESSAGE = "ticket.reply"


def _reply_outgoing(reply: TicketReply, *, ticket: Ticket):
    """The outbox message for a public reply: by the customer's preferred channel, else e-mail if
    known, else SMS to the mobile (issue 11 §5); None when the customer cannot be reached."""
    from customers.selectors import customer_message_route
    from servicedesk.outbox import Outgoing

    customer = ticket.customer
    route = customer_message_route(customer=customer)
    if route is None:
        return None
    channel, to = route
    with translation.override(customer.preferred_language or settings.LANGUAGE_CODE):
        subject = _("Re: %(number)s %(subject)s") % {"number": ticket.number, "subject": ticket.subject}
        # An SMS has no subject line: the ticket number goes first, so the customer knows what it answers.
        body = reply.body if channel == "email" else _("[%(number)s] %(text)s") % {"number": ticket.number,
                                                                                   "text": reply.body}
    return Outgoing(kind=REPLY_MESSAGE, channel=channel, to=to, subject=subject[:150], body=body, source=reply)


def reply_delivery_marked(message) -> None:
    """Outbox hook: the reply's delivery badge follows its outbox row (queued / sent / failed)."""
    from servicedesk.models import OutboxMessage

    D, S = TicketReply.Delivery, OutboxMessage.Status
    fields = {"delivery_attempts": message.attempts, "last_error": message.last_error[:500]}
    if message.status == S.SENT:
        fields.update(delivery_status=D.SENT, delivered_at=message.sent_at)
    elif message.status == S.FAILED:
        fields["delivery_status"] = D.GAVE_UP
    elif message.status == S.PENDING:
        fields["delivery_status"] = D.FAILED if message.attempts else D.PENDING
    else:
        fields["delivery_status"] = D.SENDING
    TicketReply.objects.filter(pk=message.source_id).update(**fields)
    if message.status == S.FAILED:
        reply = TicketReply.objects.select_related("ticket").get(pk=message.source_id)
        event_record(ticket=reply.ticket, actor=None, kind="delivery_failed", after={"reply": reply.pk},
                     message=message.last_error, now=timezone.now())


def attachment_add(*, ticket: Ticket, uploaded_by, file, content_type: str, now: datetime | None = None
                   ) -> TicketAttachment:
    """Store a checked upload (the form sniffs type and size) and put it on the timeline."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(ticket)
        name = file.name.rsplit("/", 1)[-1][:200]
        att = TicketAttachment(ticket=locked, original_name=name, content_type=content_type, size=file.size,
                               uploaded_by=uploaded_by, uploaded_at=now)
        att.file.save(name, file, save=False)
        att.save()
        _save(locked, [])
        event_record(ticket=locked, actor=uploaded_by, kind="attachment",
                     after={"attachment": att.pk, "name": name, "size": file.size}, now=now)
    return att


# --- Complaints (domain.md §3) -------------------------------------------------------------------

def _complaint_locked(ticket: Ticket, expected_version=None) -> tuple[Ticket, Complaint]:
    locked = _lock(ticket, expected_version)
    if locked.kind != Ticket.Kind.COMPLAINT:
        raise ValidationError(_("This ticket is not a complaint."), code="not_complaint")
    complaint, _created = Complaint.objects.select_for_update().get_or_create(ticket=locked)
    return locked, complaint


def _complaint_event(locked, actor, kind, before: dict, after: dict, now, message=""):
    event_record(ticket=locked, actor=actor, kind=kind, before=before, after=after, message=message, now=now)


def _complaint_sync_stage(locked: Ticket, c: Complaint, *, actor, now: datetime) -> str:
    """Move the complaint to the stage its milestones imply; record it and tell whoever acts next.

    Every complaint service and every status change ends here, so the stage can never disagree with
    the milestones (Complaint.stage_for is the one rule).
    """
    old = c.stage
    new = c.stage_for(status=locked.status, reopened_at=locked.reopened_at)
    if new == old:
        return old
    c.stage = new
    Complaint.objects.filter(pk=c.pk).update(stage=new)
    event_record(ticket=locked, actor=actor, kind="complaint_stage", field="stage", before=old, after=new, now=now)
    _complaint_handoff_notify(locked, c, new=new, actor=actor)
    return new


def _complaint_handoff_notify(locked: Ticket, c: Complaint, *, new: str, actor) -> None:
    """The bell for the person who must act next (never the person who just acted).

    awaiting decision → the deciding supervisor(s); solution → the agent (decision made, tell the
    customer); return visit → the agent (the return visit is due); closed → the supervisor who decided.
    Kind "complaint" (servicedesk/preferences.py KINDS): each recipient's channel choice for complaint
    hand-offs applies, and the text is written in the recipient's language, not the actor's.
    """
    from django.utils.translation import gettext_lazy

    St = Complaint.Stage
    if new == St.AWAITING_DECISION:
        recipients = selectors.complaint_deciders(locked)
        text = gettext_lazy("Complaint %(number)s awaits your decision: %(subject)s")
    elif new == St.SOLUTION:
        recipients = [locked.assignee] if locked.assignee_id else selectors.complaint_deciders(locked)
        text = gettext_lazy("Decision made on complaint %(number)s: send the result to the customer.")
    elif new == St.RETURN_VISIT:
        recipients = [locked.assignee] if locked.assignee_id else []
        text = gettext_lazy("Result sent on complaint %(number)s: the return visit to the customer is next.")
    elif new == St.CLOSED and locked.status == Ticket.Status.CLOSED:
        recipients = [c.decided_by] if c.decided_by_id else []
        text = gettext_lazy("Complaint %(number)s is closed after the return visit.")
    else:
        return
    _notify_people(locked, recipients, actor=actor, text=text, params={}, kind="complaint")


def complaint_update(*, ticket: Ticket, actor, category: str, department=None, staff_member=None,
                     expected_version=None, now: datetime | None = None) -> Complaint:
    """Classify the complaint: category, responsible department, staff member complained about."""
    now = now or timezone.now()
    with transaction.atomic():
        locked, c = _complaint_locked(ticket, expected_version)
        before = {"category": c.category, "department": c.department_id, "staff_member": c.staff_member_id}
        c.category = category
        c.department = department
        c.staff_member = staff_member
        c.full_clean(exclude=["ticket"])
        after = {"category": c.category, "department": c.department_id, "staff_member": c.staff_member_id}
        if before == after:
            return c
        c.save()
        _save(locked, [], original=ticket)
        _complaint_event(locked, actor, "complaint_changed", before, after, now)
        if before["department"] != after["department"]:
            _complaint_department_changed(locked, c, actor=actor, now=now)
    return c


def complaint_record_investigation(*, ticket: Ticket, actor, findings: str, department=None,
                                   expected_version=None, now: datetime | None = None) -> Complaint:
    """Investigation findings (domain.md §3: investigate and verify the same working day)."""
    now = now or timezone.now()
    findings = _require_text(findings, _("Write down what the investigation found."), "findings_required")
    with transaction.atomic():
        locked, c = _complaint_locked(ticket, expected_version)
        if locked.status in (S.CLOSED, S.CANCELLED):
            raise ValidationError(_("This complaint is already closed."), code="complaint_closed")
        before = {"findings": c.findings, "department": c.department_id,
                  "investigated_at": c.investigated_at.isoformat() if c.investigated_at else None}
        first = c.investigated_at is None
        c.findings = findings
        handed = department is not None and department.pk != c.department_id
        if department is not None:
            c.department = department
        c.investigated_at = now
        c.investigated_by = actor
        c.save()
        _save(locked, [], original=ticket)
        _complaint_event(locked, actor, "complaint_investigated", before,
                         {"findings": findings, "department": c.department_id, "investigated_at": now.isoformat()},
                         now)
        if handed:
            _complaint_department_changed(locked, c, actor=actor, now=now)
        _complaint_sync_stage(locked, c, actor=actor, now=now)
        if first:
            signals.complaint_milestone.send(sender=Ticket, ticket=locked, milestone="investigated", now=now)
    return c


def complaint_decide(*, ticket: Ticket, actor, decision: str, remedy: str, department=None,
                     staff_complaint_valid: bool | None = None, expected_version=None,
                     now: datetime | None = None) -> Complaint:
    """The supervisor's decision: handling, remedy and responsible department (needs approve_complaint)."""
    now = now or timezone.now()
    decision = _require_text(decision, _("Write down the decision."), "decision_required")
    if actor is None or not actor.has_perm("tickets.approve_complaint"):
        raise ValidationError(_("Only a supervisor can decide how a complaint is handled."), code="not_supervisor")
    if remedy not in Complaint.Remedy.values:
        raise ValidationError(_("Choose a remedy."), code="remedy_required")
    with transaction.atomic():
        locked, c = _complaint_locked(ticket, expected_version)
        if c.investigated_at is None:
            raise ValidationError(_("Record the investigation before deciding."), code="not_investigated")
        if locked.status in (S.CLOSED, S.CANCELLED):
            raise ValidationError(_("This complaint is already closed."), code="complaint_closed")
        before = {"decision": c.decision, "remedy": c.remedy, "department": c.department_id,
                  "staff_complaint_valid": c.staff_complaint_valid}
        c.decision = decision
        c.remedy = remedy
        handed = department is not None and department.pk != c.department_id
        if department is not None:
            c.department = department
        if c.department_id is None:
            raise ValidationError(_("Name the responsible department."), code="department_required")
        c.staff_complaint_valid = staff_complaint_valid if c.staff_member_id else None
        c.decided_at = now
        c.decided_by = actor
        c.save()
        _save(locked, [], original=ticket)
        _complaint_event(locked, actor, "complaint_decided", before,
                         {"decision": decision, "remedy": remedy, "department": c.department_id,
                          "staff_complaint_valid": c.staff_complaint_valid}, now)
        if handed:
            _complaint_department_changed(locked, c, actor=actor, now=now)
        _complaint_sync_stage(locked, c, actor=actor, now=now)
    return c


def complaint_send_solution(*, ticket: Ticket, actor, body: str, client_token: str | None = None,
                            expected_version: int | None = None, now: datetime | None = None) -> TicketReply:
    """Reply to the customer with the result (a public reply) and stamp solution_sent_at."""
    now = now or timezone.now()
    with transaction.atomic():
        locked, c = _complaint_locked(ticket)
        token = (client_token or "").strip()[:64]
        if token and TicketReply.objects.filter(ticket=locked, client_token=token).exists():
            return TicketReply.objects.get(ticket=locked, client_token=token)
        _lock(locked, expected_version)
        if c.decided_at is None:
            raise ValidationError(_("The supervisor must decide before the result is sent to the customer."),
                                  code="not_decided")
        reply = ticket_reply(ticket=locked, author=actor, body=body, public=True, now=now, client_token=client_token)
        if c.solution_sent_at is None:
            c.solution_sent_at = now
            c.save(update_fields=["solution_sent_at"])
            _complaint_event(locked, actor, "complaint_solution_sent", {"solution_sent_at": None},
                             {"solution_sent_at": now.isoformat(), "reply": reply.pk}, now)
            signals.complaint_milestone.send(sender=Ticket, ticket=locked, milestone="solution_sent", now=now)
            _complaint_result_notify(locked, c, reply=reply, actor=actor)
        _complaint_sync_stage(locked, c, actor=actor, now=now)
    ticket.version = Ticket.objects.values_list("version", flat=True).get(pk=ticket.pk)
    return reply


def complaint_record_return_visit(*, ticket: Ticket, actor, outcome: str, notes: str,
                                  now: datetime | None = None, expected_version: int | None = None,
                                  via_callback: bool = False) -> Complaint:
    """The return visit after the result was sent (domain.md §3: close only after the return visit).

    Records the outcome only; whoever made the call (the callbacks area) decides what follows an
    unsatisfied outcome (reopen the ticket, or a new complaint). The return visit is one fact: recorded
    here, the pending "Complaint return visit" callback is completed by its area (complaint_milestone
    "return_visit"); recorded by completing that callback (via_callback=True), it is not completed again.
    """
    now = now or timezone.now()
    if outcome not in Complaint.Outcome.values:
        raise ValidationError(_("Choose the outcome of the return visit."), code="outcome_required")
    with transaction.atomic():
        locked, c = _complaint_locked(ticket, expected_version)
        if c.solution_sent_at is None:
            raise ValidationError(_("Send the result to the customer before the return visit."),
                                  code="solution_not_sent")
        before = {"return_visit_outcome": c.return_visit_outcome,
                  "return_visit_at": c.return_visit_at.isoformat() if c.return_visit_at else None}
        c.return_visit_at = now
        c.return_visit_outcome = outcome
        c.return_visit_notes = (notes or "").strip()
        c.return_visit_by = actor
        c.save()
        _save(locked, [], original=ticket)
        _complaint_event(locked, actor, "complaint_return_visit", before,
                         {"return_visit_outcome": outcome, "return_visit_at": now.isoformat()}, now,
                         message=c.return_visit_notes)
        signals.complaint_milestone.send(sender=Ticket, ticket=locked, milestone="return_visit", now=now,
                                         actor=actor, outcome=outcome, notes=c.return_visit_notes,
                                         via_callback=via_callback)
        _complaint_sync_stage(locked, c, actor=actor, now=now)
    return c


# --- Issue 17: departments that answer for complaints ------------------------------------------------

DEPARTMENT_HANDOFF = "department_handoff"  # a complaint handed to my department (head and members)
DEPARTMENT_ANSWER = "department_answer"  # a department refused a complaint or reported findings (supervisors)
COMPLAINT_RESULT = "complaint_result"  # a complaint's result was sent to the customer (general manager)


def _notify_people(locked: Ticket, people, *, actor, text, params: dict, kind: str) -> None:
    """A bell (and e-mail, by each person's preference) about the ticket for each active person, once each,
    never the one who acted."""
    from django.urls import reverse

    from servicedesk.preferences import Message, Note
    from servicedesk.services import notify_many

    url = reverse("tickets:detail", args=[locked.pk])
    message = Message(text, {"number": locked.number, "subject": locked.subject[:120], **params})
    items, seen = [], set()
    for user in people:
        if user is None or not user.is_active or user.pk in seen or (actor is not None and user.pk == actor.pk):
            continue
        seen.add(user.pk)
        items.append(Note(recipient=user, message=message, url=url, kind=kind, group=f"ticket:{locked.pk}"))
    notify_many(items, email=True)


def _handoff_withdraw_open(locked: Ticket, *, actor, now: datetime) -> None:
    """The supervisor named another department (or none): the open hand-off is withdrawn, its clocks
    stop undecided. It stays in the history."""
    for handoff in ComplaintHandoff.objects.select_for_update(of=("self",)).filter(
            ticket=locked, state__in=ComplaintHandoff.OPEN_STATES).select_related("department"):
        handoff.state = ComplaintHandoff.State.WITHDRAWN
        handoff.save(update_fields=["state"])
        event_record(ticket=locked, actor=actor, kind="department_withdrawn", field="handoff",
                     before={"handoff": handoff.pk, "department": handoff.department_id},
                     after={"state": handoff.state}, now=now)
        signals.complaint_handoff.send(sender=Ticket, ticket=locked, handoff=handoff, event="withdrawn", now=now)


def _handoffs_settle(locked: Ticket, *, actor, now: datetime) -> None:
    """Nothing waits on a department any more (another one is named, or the complaint ends): the open hand-off
    is withdrawn and a refusal no longer waits for the supervisor."""
    _handoff_withdraw_open(locked, actor=actor, now=now)
    ComplaintHandoff.objects.filter(ticket=locked, awaiting_supervisor=True).update(awaiting_supervisor=False)


def _complaint_department_changed(locked: Ticket, c: Complaint, *, actor, now: datetime) -> ComplaintHandoff | None:
    """Naming the responsible department hands the complaint to it (issue 17, domain.md §3): a new
    hand-off row, its two SLA clocks (accept, report findings), a bell for the department's head and
    members. An open hand-off to the department named before is withdrawn; an earlier refusal stops
    waiting for the supervisor."""
    _handoffs_settle(locked, actor=actor, now=now)
    if c.department_id is None:
        return None
    department = type(c.department).objects.select_related("head").prefetch_related("members").get(pk=c.department_id)
    handoff = ComplaintHandoff.objects.create(ticket=locked, department=department, handed_by=actor, handed_at=now)
    handoff.department = department
    event_record(ticket=locked, actor=actor, kind="department_handoff", field="handoff",
                 after={"handoff": handoff.pk, "department": department.pk, "name": str(department)}, now=now)
    signals.complaint_handoff.send(sender=Ticket, ticket=locked, handoff=handoff, event="started", now=now)
    from django.utils.translation import gettext_lazy

    _notify_people(locked, department.people(), actor=actor, kind=DEPARTMENT_HANDOFF,
                   text=gettext_lazy("Complaint %(number)s was handed to %(department)s: accept it or refuse it "
                                     "with a reason. %(subject)s"),
                   params={"department": department.display_name})
    return handoff


def _handoff_locked(handoff: ComplaintHandoff, *, actor, expected_version=None) -> tuple[Ticket, ComplaintHandoff]:
    """Lock the ticket (then the hand-off: the ticket services' lock order) and check the actor answers
    for the department."""
    locked = _lock(handoff.ticket, expected_version)
    current = (ComplaintHandoff.objects.select_for_update(of=("self",)).select_related("department", "department__head")
               .get(pk=handoff.pk))
    if not current.can_answer(actor):
        raise ValidationError(_("Only the head or a member of %(department)s can answer this hand-off."),
                              code="not_department_member", params={"department": current.department.display_name})
    return locked, current


def complaint_handoff_accept(*, handoff: ComplaintHandoff, actor, now: datetime | None = None,
                             expected_version: int | None = None) -> ComplaintHandoff:
    """The department accepts the complaint (issue 17): its accept clock stops, judged on time or late."""
    now = now or timezone.now()
    with transaction.atomic():
        locked, h = _handoff_locked(handoff, actor=actor, expected_version=expected_version)
        if h.state != ComplaintHandoff.State.PENDING:
            raise ValidationError(_("This hand-off is no longer awaiting acceptance (it is “%(state)s”)."),
                                  code="handoff_not_pending", params={"state": h.get_state_display()})
        h.state = ComplaintHandoff.State.ACCEPTED
        h.responded_by, h.responded_at = actor, now
        h.save(update_fields=["state", "responded_by", "responded_at"])
        _save(locked, [], original=handoff.ticket)
        event_record(ticket=locked, actor=actor, kind="department_accepted", field="handoff",
                     before={"handoff": h.pk, "state": ComplaintHandoff.State.PENDING},
                     after={"state": h.state, "department": h.department_id}, now=now)
        signals.complaint_handoff.send(sender=Ticket, ticket=locked, handoff=h, event="accepted", now=now)
    return h


def complaint_handoff_refuse(*, handoff: ComplaintHandoff, actor, reason: str, now: datetime | None = None,
                             expected_version: int | None = None) -> ComplaintHandoff:
    """The department refuses, with a reason (domain.md §3: no silent pass-the-buck). The complaint goes
    back to the supervisor: no responsible department any more, the hand-off waits on the supervisors'
    "awaiting decision" page, and the supervisor who handed it over (and the team's supervisors) are told."""
    from django.utils.translation import gettext_lazy

    now = now or timezone.now()
    reason = _require_text(reason, _("Give a reason for refusing the complaint."), "reason_required")[:2000]
    with transaction.atomic():
        locked, h = _handoff_locked(handoff, actor=actor, expected_version=expected_version)
        if h.state != ComplaintHandoff.State.PENDING:
            raise ValidationError(_("This hand-off is no longer awaiting acceptance (it is “%(state)s”)."),
                                  code="handoff_not_pending", params={"state": h.get_state_display()})
        h.state = ComplaintHandoff.State.REFUSED
        h.responded_by, h.responded_at, h.reason = actor, now, reason
        h.awaiting_supervisor = True
        h.save(update_fields=["state", "responded_by", "responded_at", "reason", "awaiting_supervisor"])
        Complaint.objects.filter(pk=locked.pk, department_id=h.department_id).update(department=None)
        _save(locked, [], original=handoff.ticket)
        event_record(ticket=locked, actor=actor, kind="department_refused", field="handoff",
                     before={"handoff": h.pk, "state": ComplaintHandoff.State.PENDING, "department": h.department_id},
                     after={"state": h.state, "department": None}, message=reason, now=now)
        signals.complaint_handoff.send(sender=Ticket, ticket=locked, handoff=h, event="refused", now=now)
        _notify_people(locked, [h.handed_by, *selectors.complaint_deciders(locked)], actor=actor,
                       kind=DEPARTMENT_ANSWER,
                       text=gettext_lazy("%(department)s refused complaint %(number)s: %(reason)s — name the "
                                         "responsible department again."),
                       params={"department": h.department.display_name, "reason": reason[:200]})
    return h


def complaint_handoff_report_findings(*, handoff: ComplaintHandoff, actor, findings: str,
                                      now: datetime | None = None,
                                      expected_version: int | None = None) -> ComplaintHandoff:
    """The department reports what it found (its findings clock stops). Reporting on a hand-off not yet
    accepted accepts it too. The supervisor who handed it over (and the team's supervisors) are told."""
    from django.utils.translation import gettext_lazy

    now = now or timezone.now()
    findings = _require_text(findings, _("Write down what the department found."), "findings_required")[:10000]
    with transaction.atomic():
        locked, h = _handoff_locked(handoff, actor=actor, expected_version=expected_version)
        if h.state not in ComplaintHandoff.OPEN_STATES:
            raise ValidationError(_("This hand-off is “%(state)s”: findings can no longer be reported on it."),
                                  code="handoff_closed", params={"state": h.get_state_display()})
        before = {"handoff": h.pk, "state": h.state}
        if h.state == ComplaintHandoff.State.PENDING:
            h.responded_by, h.responded_at = actor, now
        h.state = ComplaintHandoff.State.REPORTED
        h.findings, h.findings_by, h.findings_at = findings, actor, now
        h.save(update_fields=["state", "responded_by", "responded_at", "findings", "findings_by", "findings_at"])
        _save(locked, [], original=handoff.ticket)
        event_record(ticket=locked, actor=actor, kind="department_findings", field="handoff", before=before,
                     after={"state": h.state, "department": h.department_id}, message=findings, now=now)
        signals.complaint_handoff.send(sender=Ticket, ticket=locked, handoff=h, event="findings", now=now)
        _notify_people(locked, [h.handed_by, *selectors.complaint_deciders(locked)], actor=actor,
                       kind=DEPARTMENT_ANSWER,
                       text=gettext_lazy("%(department)s reported its findings on complaint %(number)s."),
                       params={"department": h.department.display_name})
    return h


def general_manager_recipients() -> list:
    """Who hears every complaint's result (issue 17): the general manager named in the ticket settings
    while they are active and can open tickets, else every active user with the manager role."""
    from django.contrib.auth import get_user_model

    from servicedesk import roles

    gm = TicketSettings.current().general_manager
    if gm is not None and gm.is_active and gm.has_perm("tickets.view_ticket"):
        return [gm]
    return list(get_user_model().objects.filter(groups__name=roles.MANAGER, is_active=True).order_by("pk"))


def _complaint_result_notify(locked: Ticket, c: Complaint, *, reply: TicketReply, actor) -> None:
    """The result goes to the general manager too (issue 17), saying what actually happened to the
    customer's copy: queued by e-mail or SMS, or not sent (no address)."""
    from django.utils.translation import gettext_lazy

    params = {"customer": locked.customer.name[:120], "remedy": Complaint.Remedy(c.remedy).label if c.remedy else "—",
              "decision": c.decision[:300], "to": reply.delivered_to}
    if reply.delivery_status == TicketReply.Delivery.NO_EMAIL:
        text = gettext_lazy("Result of complaint %(number)s recorded, but not sent to %(customer)s: no e-mail "
                            "address or mobile number. Remedy: %(remedy)s. Decision: %(decision)s")
    else:
        text = gettext_lazy("Result of complaint %(number)s queued to be sent to %(customer)s (%(to)s). Remedy: "
                            "%(remedy)s. Decision: %(decision)s")
    _notify_people(locked, general_manager_recipients(), actor=actor, kind=COMPLAINT_RESULT, text=text, params=params)


# --- Tags (issue 19 item 4) -------------------------------------------------------------------------
TAG_NAME_MAX = 40


def tag_name_clean(name: str) -> str:
    """One spelling of a tag: spaces collapsed, no commas (the tag box splits on them), at most 40."""
    name = " ".join((name or "").replace(",", " ").replace("，", " ").split())
    if not name:
        raise ValidationError(_("A tag needs a name."), code="tag_empty")
    if len(name) > TAG_NAME_MAX:
        raise ValidationError(_("A tag's name is at most %(n)d characters."), code="tag_long",
                              params={"n": TAG_NAME_MAX})
    return name


def tag_create(*, name: str, actor, colour: str = Tag.Colour.GREY, now: datetime | None = None) -> Tag:
    """A new tag for the managed list; the same name in other letter case is the existing tag, returned."""
    now = now or timezone.now()
    if actor is not None and not actor.has_perm("tickets.add_tag"):
        raise ValidationError(_("Only staff allowed to add tags can create a new one; choose one from the list."),
                              code="tag_create_forbidden")
    name = tag_name_clean(name)
    existing = Tag.objects.filter(name__iexact=name).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Tag.objects.create(name=name, colour=colour, created_by=actor, created_at=now)
    except IntegrityError:  # someone created it a moment ago (the database's case-insensitive unique)
        return Tag.objects.get(name__iexact=name)


def tag_save(*, tag: Tag, actor, now: datetime | None = None) -> Tag:
    """A manager adds or edits a tag (name, colour, offered or retired). Names are unique whatever the case."""
    if not actor.has_perm("tickets.change_tag") or (tag.pk is None and not actor.has_perm("tickets.add_tag")):
        raise ValidationError(_("Only a manager can edit the list of tags."), code="tag_forbidden")
    tag.name = tag_name_clean(tag.name)
    if Tag.objects.filter(name__iexact=tag.name).exclude(pk=tag.pk).exists():
        raise ValidationError(_("There is already a tag called “%(name)s”."), code="tag_taken",
                              params={"name": tag.name})
    if tag.pk is None:
        tag.created_by, tag.created_at = actor, now or timezone.now()
    try:
        with transaction.atomic():
            tag.save()
    except IntegrityError:
        raise ValidationError(_("There is already a tag called “%(name)s”."), code="tag_taken",
                              params={"name": tag.name}) from None
    return tag


def ticket_set_tags(*, ticket: Ticket, tags, actor, new_names=(), now: datetime | None = None,
                    only_add: bool = False) -> tuple[list[Tag], list[Tag]]:
    """Make the ticket's tags exactly ``tags`` (plus ``new_names``, created if the actor may add tags).

    ``only_add`` keeps the tags already there (a macro adds, it never takes a colleague's tag off).
    Returns (added, removed); one "tags" event on the timeline when anything changed. The ticket's
    version is not bumped: a tag never conflicts with what a colleague is typing.
    """
    now = now or timezone.now()
    if actor is not None and not actor.has_perm("tickets.tag_ticket"):
        raise ValidationError(_("You cannot change this ticket's tags."), code="tag_forbidden")
    wanted = {t.pk: t for t in tags}
    for name in new_names:
        tag = tag_create(name=name, actor=actor, now=now)
        wanted[tag.pk] = tag
    with transaction.atomic():
        Ticket.objects.select_for_update().filter(pk=ticket.pk).values_list("pk").first()  # one edit at a time
        current = {tt.tag_id: tt.tag for tt in TicketTag.objects.filter(ticket=ticket).select_related("tag")}
        # A retired tag may stay where it is, but is not put on a ticket anew.
        added = [t for pk, t in wanted.items() if pk not in current and t.active]
        removed = [] if only_add else [t for pk, t in current.items() if pk not in wanted]
        if not added and not removed:
            return [], []
        if removed:
            TicketTag.objects.filter(ticket=ticket, tag__in=[t.pk for t in removed]).delete()
        if added:
            TicketTag.objects.bulk_create([TicketTag(ticket=ticket, tag=t, added_by=actor, added_at=now)
                                           for t in added], ignore_conflicts=True)
        ids = sorted((set(current) - {t.pk for t in removed}) | {t.pk for t in added})
        Ticket.objects.filter(pk=ticket.pk).update(tag_ids=ids)
        ticket.tag_ids = ids
        before = sorted(t.name for t in current.values())
        after = sorted({t.name for pk, t in current.items() if t not in removed} | {t.name for t in added},
                       key=str)
        event_record(ticket=ticket, actor=actor, kind="tags", field="tags", before=before, after=after, now=now,
                     message="")
    ticket.__dict__.pop("_prefetched_objects_cache", None)
    return added, removed


def flow_rollup_compact(*, time_budget: float = 45.0) -> dict:
    """Fold the ticket-flow rollup (TicketFlowDelta: a row appended by the database for every change of a ticket's
    counted columns) into one row per hour, team, kind and priority, so the monthly report sums few rows however
    often tickets changed (a mass update of old tickets appends a −1 and a +1 row for each).

    Day by day, only the days holding duplicates, each in one transaction: the rows of that day are deleted with
    DELETE … RETURNING and exactly those are summed back in (rows whose sums are all 0 are dropped). A row appended
    meanwhile (a higher id than the run's first look) is left for the next run: nothing is counted twice or lost,
    and two runs at once each fold only the rows they deleted. Beat runs it nightly (tickets-flow-compact)."""
    import time

    from .models import TicketFlowDelta

    table = TicketFlowDelta._meta.db_table
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {table}")
        (last,) = cursor.fetchone()
        if last is None:
            return {"days": 0, "rows_in": 0, "rows_out": 0, "days_left": 0, "zero_rows": 0}
        # SQLite keeps one row per key (tickets/flow_sql.py): nothing to fold, but a key whose counts went back to
        # 0 (a ticket moved out of that hour, team, kind or priority) keeps its row until this drops it.
        cursor.execute(f"DELETE FROM {table} WHERE opened = 0 AND resolved = 0 AND closed = 0 AND backlog_in = 0 "
                       f"AND backlog_out = 0 AND id <= %s", [last])
        zero_rows = cursor.rowcount
        cursor.execute(f"SELECT DISTINCT substr(hour, 1, 10) FROM (SELECT hour FROM {table} WHERE id <= %s "
                       f"GROUP BY hour, team_key, kind, priority HAVING COUNT(*) > 1) dup ORDER BY 1", [last])
        days = [day for (day,) in cursor.fetchall()]
    done = rows_in = rows_out = 0
    for day in days:
        if time.monotonic() - started > time_budget:
            break
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE hour >= %s AND hour <= %s AND id <= %s "
                           f"RETURNING hour, team_key, kind, priority, opened, resolved, closed, backlog_in, backlog_out",
                           [f"{day} 00", f"{day} 23", last])
            sums: dict[tuple, list[int]] = {}
            for hour, team_key, kind, priority, *counts in cursor.fetchall():
                rows_in += 1
                total = sums.setdefault((hour, team_key, kind, priority), [0] * len(counts))
                for i, n in enumerate(counts):
                    total[i] += n
            keep = [TicketFlowDelta(hour=h, team_key=t, kind=k, priority=p, opened=o, resolved=r, closed=c,
                                    backlog_in=b_in, backlog_out=b_out)
                    for (h, t, k, p), (o, r, c, b_in, b_out) in sorted(sums.items()) if any((o, r, c, b_in, b_out))]
            TicketFlowDelta.objects.bulk_create(keep, batch_size=1000)
            rows_out += len(keep)
        done += 1
    return {"days": done, "rows_in": rows_in, "rows_out": rows_out, "days_left": len(days) - done, "zero_rows": zero_rows}
