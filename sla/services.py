"""Writes for service levels (domain.md §4): start, pause, resume and stop clocks; re-apply a
policy; the sweep that fires warnings and escalations exactly once.

Lock order (so the ticket services and the sweep can never deadlock): whoever changes a ticket's
clocks holds the ticket row first (tickets.services locks it before sending its signals); the sweep
locks due clocks with SKIP LOCKED and then their tickets with SKIP LOCKED too, so it never waits
for a lock a ticket write holds: a clock whose ticket is busy is simply taken by the next sweep.
"""
from __future__ import annotations

import logging
import time as stopwatch
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import override

from servicedesk.bulk import insert_many
from servicedesk.shared_memo import SharedMemo

from . import clocks as clockmath
from . import rollup, signals
from .calendars import cached_working_calendar, calendar_row, calendar_touch, default_calendar
from .models import (
    DEPARTMENT_TARGETS,
    BusinessCalendar,
    ClockType,
    SLAClock,
    SLAEscalation,
    SLAPolicy,
    SLAPolicyChange,
    Target,
)

logger = logging.getLogger(__name__)

COMPLAINT_ONLY_TARGETS = {Target.INVESTIGATION, Target.SOLUTION}
# Pushed forward this much when computing a row fails, so one bad row never stalls the sweep.
RETRY_DELAY = timedelta(minutes=5)


# --- policy matching ------------------------------------------------------------------------------

def policy_match(*, policies, kind: str, priority: int, tier: str, channel: str,
                 is_key_account: bool = False) -> SLAPolicy | None:
    """The policy for these ticket values (precedence documented on SLAPolicy): most specific
    matching active policy, then — the green channel, issue 17 — a key-account policy, then lowest
    `order`, then oldest."""
    candidates = [p for p in policies if p.is_active and p.matches(kind=kind, priority=priority, tier=tier,
                                                                    channel=channel, is_key_account=is_key_account)]
    if not candidates:
        return None
    return min(candidates, key=lambda p: (-p.specificity, p.key_account != SLAPolicy.KeyAccount.YES, p.order, p.pk))


def _load_policies() -> list[SLAPolicy]:
    return list(SLAPolicy.objects.filter(is_active=True).prefetch_related("targets"))


# The active policies with their targets, kept per thread while no policy or target changed
# (servicedesk.shared_memo): opening a ticket reads none of them. Their calendar comes from the kept
# calendars (_calendar_for), never through policy.calendar: a calendar's row carries the revision its
# working hours are checked against, and the calendars' memo is the one renewed when it changes.
POLICIES = SharedMemo("sla:policies:version", _load_policies)


def active_policies() -> list[SLAPolicy]:
    """The active policies with their targets. Shared objects: read them, never change them."""
    return POLICIES.get()


def policy_for_ticket(ticket) -> SLAPolicy | None:
    return policy_match(
        policies=active_policies(), kind=ticket.kind, priority=ticket.priority,
        tier=ticket.customer.tier, channel=ticket.channel, is_key_account=ticket.customer.is_key_account,
    )


def _calendar_for(policy: SLAPolicy | None) -> BusinessCalendar:
    """The policy's calendar row (from the kept calendars, never through the kept policy: its revision must be
    current)."""
    if policy is not None and policy.calendar_id is not None:
        calendar = calendar_row(policy.calendar_id)
        if calendar is not None:
            return calendar
    return default_calendar()


def _working(calendar_id: int | None, cache: dict):
    """WorkingCalendar for a calendar id, memoised for one service call."""
    if calendar_id not in cache:
        cache[calendar_id] = cached_working_calendar(calendar_row(calendar_id) or default_calendar())
    return cache[calendar_id]


def _new_clock(*, ticket, policy, target_row, calendar, cal, now) -> SLAClock:
    clock = SLAClock(
        ticket=ticket, target=target_row.target, policy=policy, calendar=calendar,
        duration=target_row.duration, clock=target_row.clock, warning_percent=target_row.warning_percent,
        level2_multiplier=target_row.level2_multiplier, reassign_to_supervisor=target_row.reassign_to_supervisor,
        started_at=now, deadline=now,
    )
    clockmath.compute_levels(clock, cal if target_row.clock == ClockType.BUSINESS else None)
    clockmath.refresh_next_check(clock)
    return clock


def clocks_start(*, ticket, now: datetime | None = None, only_missing: bool = False,
                 clocks_from: datetime | None = None) -> list[SLAClock]:
    """Start a clock for every target of the ticket's policy (domain.md §4: a ticket keeps the
    targets it was opened under). Investigation and solution apply to complaints only.

    `clocks_from` (later than now): the clocks measure from then — planned work opened ahead of its
    visit (maintenance) is due from the visit window, so every level moment, next_check_at and the
    ticket's sla_due_at lie after it and the one definition of overdue/breached stays the clocks'."""
    now = now or timezone.now()
    if clocks_from is not None and clocks_from > now:
        now = clocks_from
    policy = policy_for_ticket(ticket)
    if policy is None:
        return []
    calendar = _calendar_for(policy)
    cal = cached_working_calendar(calendar)
    existing = (set(SLAClock.objects.filter(ticket=ticket, handoff__isnull=True).values_list("target", flat=True))
                if only_missing else set())
    new = [
        _new_clock(ticket=ticket, policy=policy, target_row=t, calendar=calendar, cal=cal, now=now)
        for t in policy.targets.all()
        if t.target not in existing and t.target not in DEPARTMENT_TARGETS
        and (ticket.kind == "complaint" or t.target not in COMPLAINT_ONLY_TARGETS)
    ]
    # No savepoint: nothing here is caught and retried, and inside the ticket's own transaction (the
    # usual caller) a savepoint only costs two statements per ticket opened.
    with transaction.atomic(savepoint=False):
        created = insert_many(new)  # servicedesk.bulk: bulk_create's rows without its per-value field work
        if only_missing:
            ticket_sla_due_refresh(ticket_ids=[ticket.pk])
        else:
            # A ticket without clocks (just opened; the demo's backfill): its due time is the earliest of
            # these, all running — the same value ticket_sla_due_refresh would read back, without its
            # correlated subquery (the ORM built it on every ticket opened, ~1 ms).
            _sla_due_set(ticket, min((c.deadline for c in created), default=None))
    return created


def _sla_due_set(ticket, due) -> None:
    """One fixed UPDATE of the ticket's sla_due_at (on every ticket opened: the ORM built it each time)."""
    from tickets.models import Ticket

    ops = connection.ops
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {ops.quote_name(Ticket._meta.db_table)} SET {ops.quote_name('sla_due_at')} = %s "
                       f"WHERE {ops.quote_name('id')} = %s", [ops.adapt_datetimefield_value(due), ticket.pk])
    ticket.sla_due_at = due


def ticket_sla_due_refresh(*, ticket_ids) -> int:
    """Store each ticket's earliest running deadline on Ticket.sla_due_at (one UPDATE): the indexed
    column the queue and the list sort by. A paused or stopped clock is not due; none running → NULL."""
    from django.db.models import OuterRef, Subquery

    from tickets.models import Ticket

    # A department's hand-off clocks are the department's promise, not the ticket's (sla.selectors.ticket_deadlines
    # leaves them out too): they never set the ticket's due time.
    running = (SLAClock.objects.filter(ticket_id=OuterRef("pk"), stopped_at__isnull=True, paused_at__isnull=True,
                                       handoff__isnull=True)
               .order_by("deadline").values("deadline")[:1])
    return Ticket.objects.filter(pk__in=list(ticket_ids)).update(sla_due_at=Subquery(running))


_CLOCK_STATE_FIELDS = [
    "warning_at", "deadline", "level2_at", "paused_at", "paused_total", "stopped_at", "elapsed", "met",
    "breached_at", "last_level", "next_check_at",
]


def _apply(*, ticket, now: datetime, targets=None, action, handoff_id: int | None = None) -> list[SLAClock]:
    """Run `action(clock, cal)` on the ticket's clocks (locked), saving those it changed. With
    `handoff_id`, only that hand-off's department clocks."""
    with transaction.atomic():
        qs = SLAClock.objects.select_for_update().filter(ticket_id=ticket.pk).order_by("pk")
        if targets is not None:
            qs = qs.filter(target__in=list(targets))
        if handoff_id is not None:
            qs = qs.filter(handoff_id=handoff_id)
        cache: dict = {}
        changed, before = [], []
        for clock in qs:
            cal = _working(clock.calendar_id, cache) if clock.clock == ClockType.BUSINESS else None
            old = rollup.state(clock)
            if action(clock, cal):
                changed.append(clock)
                before.append((clock, old))
        if changed:
            SLAClock.objects.bulk_update(changed, _CLOCK_STATE_FIELDS)
            rollup.record(before)  # the dashboard's daily counts move with the outcome, same transaction
            ticket_sla_due_refresh(ticket_ids=[ticket.pk])
    return changed


def clocks_pause(*, ticket, now: datetime) -> list[SLAClock]:
    """Waiting on the customer pauses every running clock (domain.md §4)."""
    return _apply(ticket=ticket, now=now, action=lambda c, cal: clockmath.pause(c, now))


def clocks_resume(*, ticket, now: datetime) -> list[SLAClock]:
    """The customer answered: paused clocks run again, deadlines moved by the paused clock time."""
    return _apply(ticket=ticket, now=now, action=lambda c, cal: clockmath.resume(c, cal, now))


def clocks_stop(*, ticket, now: datetime, targets=None, decide: bool = True) -> list[SLAClock]:
    return _apply(ticket=ticket, now=now, targets=targets, action=lambda c, cal: clockmath.stop(c, cal, now, decide=decide))


def clocks_restart(*, ticket, now: datetime, targets) -> list[SLAClock]:
    return _apply(ticket=ticket, now=now, targets=targets, action=lambda c, cal: clockmath.restart(c, cal, now))


def clocks_on_status_change(*, ticket, old_status: str, new_status: str, now: datetime) -> None:
    """How a status change moves the clocks (documented in sla/README section of the issue note):

    * → waiting: pause all running clocks; waiting → anything: resume them first.
    * → resolved: stop every clock (a resolution is also an answer to the customer), judged met or not.
    * → closed: stop what still runs, judged. → cancelled: stop all, undecided unless already breached.
    * → reopened: the resolution clock runs again with the time it had left (the resolved span counts
      as paused); breached stays breached, fired escalations never repeat.
    """
    if old_status == "waiting" and new_status != "waiting":
        clocks_resume(ticket=ticket, now=now)
    if new_status == "waiting":
        clocks_pause(ticket=ticket, now=now)
    elif new_status in ("resolved", "closed"):
        clocks_stop(ticket=ticket, now=now, decide=True)
    elif new_status == "cancelled":
        clocks_stop(ticket=ticket, now=now, decide=False)
    elif new_status == "reopened":
        clocks_restart(ticket=ticket, now=now, targets=[Target.RESOLUTION])


# --- department hand-offs (issue 17) -----------------------------------------------------------------

DEPARTMENT_WARNING_PERCENT = 75
DEPARTMENT_LEVEL2_MULTIPLIER = 2


def clocks_start_handoff(*, handoff, now: datetime) -> list[SLAClock]:
    """Start the two clocks of a complaint hand-off: accept it, and report findings, each within the
    department's own working hours on the default business calendar (domain.md §3: the responsible
    department must not pass the buck). The same sweep warns at 75 %, escalates at the deadline (to the
    department head) and at twice it (level 2, to the managers), exactly once per hand-off."""
    from decimal import Decimal

    department = handoff.department
    calendar = default_calendar()
    cal = cached_working_calendar(calendar)
    new = []
    for target, hours in ((Target.DEPT_ACCEPT, department.accept_hours),
                          (Target.DEPT_FINDINGS, department.findings_hours)):
        clock = SLAClock(
            ticket_id=handoff.ticket_id, handoff=handoff, target=target, policy=None, calendar=calendar,
            duration=timedelta(seconds=int(Decimal(hours) * 3600)), clock=ClockType.BUSINESS,
            warning_percent=DEPARTMENT_WARNING_PERCENT, level2_multiplier=Decimal(DEPARTMENT_LEVEL2_MULTIPLIER),
            reassign_to_supervisor=False, started_at=now, deadline=now,
        )
        clockmath.compute_levels(clock, cal)
        clockmath.refresh_next_check(clock)
        new.append(clock)
    with transaction.atomic(savepoint=False):
        created = insert_many(new)  # servicedesk.bulk: bulk_create's rows without its per-value field work
        ticket_sla_due_refresh(ticket_ids=[handoff.ticket_id])
    return created


def clocks_stop_handoff(*, handoff, now: datetime, targets, decide: bool) -> list[SLAClock]:
    """Stop a hand-off's clocks: accepted (accept clock, judged), findings reported (findings clock,
    judged), refused (accept judged — a refusal is an answer — findings undecided), withdrawn (both
    undecided)."""
    return _apply(ticket=handoff.ticket, now=now, targets=targets, handoff_id=handoff.pk,
                  action=lambda c, cal: clockmath.stop(c, cal, now, decide=decide))


MILESTONE_TARGET = {"investigated": Target.INVESTIGATION, "solution_sent": Target.SOLUTION}


def clocks_on_complaint_milestone(*, ticket, milestone: str, now: datetime) -> None:
    target = MILESTONE_TARGET.get(milestone)
    if target is not None:
        clocks_stop(ticket=ticket, now=now, targets=[target], decide=True)


# --- re-apply (explicit manager action) -------------------------------------------------------------

def policy_reapply(*, ticket, actor, reason: str = "", now: datetime | None = None) -> SLAPolicyChange:
    """Re-match the ticket's policy now and re-base its unstopped clocks on it (domain.md §4: only a
    manager's explicit choice moves existing deadlines). Deadlines are recomputed from each clock's
    own start, keeping its pauses; stopped clocks are left as decided; escalations already fired
    stay fired. Recorded as an SLAPolicyChange and on the ticket's timeline."""
    from tickets.services import event_record

    now = now or timezone.now()
    if not actor.has_perm("sla.manage_sla"):
        raise ValidationError(_("Only a manager can re-apply an SLA policy."), code="forbidden")
    with transaction.atomic():
        from tickets.models import Ticket

        locked = Ticket.objects.select_for_update().select_related("customer").get(pk=ticket.pk)
        policy = policy_for_ticket(locked)
        if policy is None:
            raise ValidationError(_("No active SLA policy matches this ticket."), code="no_policy")
        calendar = _calendar_for(policy)
        cal = cached_working_calendar(calendar)
        clocks = {c.target: c for c in SLAClock.objects.select_for_update().filter(ticket=locked, handoff__isnull=True)}
        before = {t: timezone.localtime(c.deadline).isoformat() for t, c in clocks.items()}
        changed, created, old_states = [], [], []
        for row in policy.targets.all():
            if locked.kind != "complaint" and row.target in COMPLAINT_ONLY_TARGETS:
                continue
            clock = clocks.get(row.target)
            if clock is None:
                created.append(_new_clock(ticket=locked, policy=policy, target_row=row, calendar=calendar, cal=cal, now=now))
                continue
            if clock.stopped_at is not None:
                continue
            old_states.append((clock, rollup.state(clock)))
            clock.policy, clock.calendar = policy, calendar
            clock.duration, clock.clock = row.duration, row.clock
            clock.warning_percent, clock.level2_multiplier = row.warning_percent, row.level2_multiplier
            clock.reassign_to_supervisor = row.reassign_to_supervisor
            clockmath.compute_levels(clock, cal if row.clock == ClockType.BUSINESS else None)
            clockmath.refresh_next_check(clock)
            changed.append(clock)
        SLAClock.objects.bulk_update(
            changed, [*_CLOCK_STATE_FIELDS, "policy", "calendar", "duration", "clock", "warning_percent",
                      "level2_multiplier", "reassign_to_supervisor"],
        )
        SLAClock.objects.bulk_create(created)
        ticket_sla_due_refresh(ticket_ids=[locked.pk])
        rollup.record(old_states)  # a breached clock's deadline (its rollup day) may have moved
        after = {c.target: timezone.localtime(c.deadline).isoformat() for c in [*changed, *created]}
        after.update({t: d for t, d in before.items() if t not in after})
        change = SLAPolicyChange.objects.create(
            ticket=locked, actor=actor, policy=policy, before=before, after=after, reason=reason[:300], created_at=now
        )
        event_record(ticket=locked, actor=actor, kind="sla_reapplied", field="sla_policy", before=before, after=after,
                     message=reason, now=now)
    return change


# --- calendars and policies (manager pages call these) ---------------------------------------------

def calendar_changed(*, calendar: BusinessCalendar) -> None:
    """Call after any change to a calendar, its hours or its days: caches rebuild on next use."""
    calendar_touch(calendar.pk)


# --- the sweep ----------------------------------------------------------------------------------------

@dataclass
class SweepResult:
    batches: int = 0
    examined: int = 0
    fired: dict = field(default_factory=lambda: {"warning": 0, "breach": 0, "level2": 0})
    skipped_busy: int = 0
    failed: int = 0
    processed: int = 0
    seconds: float = 0.0

    def as_dict(self):
        return {"batches": self.batches, "examined": self.examined, "fired": dict(self.fired),
                "skipped_busy": self.skipped_busy, "failed": self.failed, "seconds": round(self.seconds, 3)}


LEVEL_NAME = {
    SLAClock.Level.WARNING: SLAEscalation.Level.WARNING,
    SLAClock.Level.BREACH: SLAEscalation.Level.BREACH,
    SLAClock.Level.LEVEL2: SLAEscalation.Level.LEVEL2,
}


def _insert_escalations(rows: list[tuple[int, str, datetime, bool]], now: datetime) -> set[tuple[int, str]]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING: one statement for a batch, and it tells us which
    (clock, level) rows are new. Only those get their effect: the unique constraint is the
    exactly-once guarantee, on PostgreSQL and SQLite (≥ 3.35) alike."""
    if not rows:
        return set()
    table = SLAEscalation._meta.db_table
    ops = connection.ops
    fired_at = ops.adapt_datetimefield_value(now)
    if connection.vendor == "postgresql":
        # one array per column (as servicedesk.bulk.insert_many): a statement of five parameters
        source = "SELECT * FROM unnest(%s::bigint[], %s::varchar[], %s::timestamptz[], %s::timestamptz[], %s::boolean[])"
        params = [[r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [fired_at] * len(rows),
                  [r[3] for r in rows]]
    else:
        values, params = [], []
        for clock_id, level, scheduled, notified in rows:
            values.append("(%s, %s, %s, %s, %s)")
            params += [clock_id, level, ops.adapt_datetimefield_value(scheduled), fired_at, notified]
        source = f"VALUES {', '.join(values)}"
    sql = (
        f"INSERT INTO {table} (clock_id, level, scheduled_for, fired_at, notified) {source} "
        f"ON CONFLICT (clock_id, level) DO NOTHING RETURNING clock_id, level"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(int(c), str(lv)) for c, lv in cursor.fetchall()}


class _Recipients:
    """Who hears about what, looked up once per sweep."""

    def __init__(self):
        self._managers = None
        self._supervisors = None
        self._teams = None
        self._users = {}
        self._handoffs = {}
        self.url_pattern = None
        self.texts = {}

    def attach(self, tickets) -> None:
        """Give each ticket its team (with supervisor) and assignee from objects read once per sweep:
        a handful of teams and staff serve thousands of tickets (a join per ticket built three more
        model instances each, a fifth of the sweep's Python time at 9,000 breaches)."""
        from servicedesk.models import Team

        if self._teams is None or any(t.team_id and t.team_id not in self._teams for t in tickets):
            self._teams = {team.pk: team for team in Team.objects.select_related("supervisor")}
        missing = {t.assignee_id for t in tickets if t.assignee_id and t.assignee_id not in self._users}
        if missing:
            self._users.update({u.pk: u for u in get_user_model().objects.filter(pk__in=missing)})
        for ticket in tickets:
            if ticket.team_id:
                ticket.team = self._teams[ticket.team_id]
            if ticket.assignee_id:
                ticket.assignee = self._users[ticket.assignee_id]

    def _group(self, name):
        return list(get_user_model().objects.filter(groups__name=name, is_active=True).order_by("pk"))

    def attach_handoffs(self, clocks) -> None:
        """The departments of the batch's department clocks (issue 17): two queries per batch that
        holds any, none otherwise."""
        from tickets.models import ComplaintHandoff

        missing = {c.handoff_id for c in clocks if c.handoff_id and c.handoff_id not in self._handoffs}
        if missing:
            for h in (ComplaintHandoff.objects.filter(pk__in=missing).select_related("department__head")
                      .prefetch_related("department__members")):
                self._handoffs[h.pk] = h

    def department_of(self, clock):
        handoff = self._handoffs.get(clock.handoff_id)
        return handoff.department if handoff is not None else None

    @property
    def managers(self):
        if self._managers is None:
            from servicedesk.roles import MANAGER

            self._managers = self._group(MANAGER)
        return self._managers

    @property
    def supervisors(self):
        if self._supervisors is None:
            from servicedesk.roles import SUPERVISOR

            self._supervisors = self._group(SUPERVISOR)
        return self._supervisors

    def supervisor_of(self, ticket):
        # tickets.selectors.ticket_supervisors' rule, with every supervisor read once per sweep.
        from tickets.selectors import active_team_supervisor

        supervisor = active_team_supervisor(ticket)
        return [supervisor] if supervisor is not None else self.supervisors


_URL_SENTINEL = 987654321


def _ticket_url(ticket, recipients=None) -> str:
    """The ticket page's URL; the sweep reverses the pattern once and fills in each id."""
    from .selectors import ticket_url

    if recipients is None:
        return ticket_url(ticket)
    if recipients.url_pattern is None:
        recipients.url_pattern = ticket_url(type(ticket)(pk=_URL_SENTINEL, number=str(_URL_SENTINEL)))
    return recipients.url_pattern.replace(str(_URL_SENTINEL), str(ticket.pk))


def _message(level: str, clock: SLAClock):
    """The text, untranslated: notify_many renders it in each recipient's language (issue 11 item 6)."""
    from servicedesk.preferences import Message

    deadline = timezone.localtime(clock.deadline).strftime("%Y-%m-%d %H:%M")
    return Message(_LEVEL_TEXT[level], {"number": clock.ticket.number, "target": _TARGET_LABEL[clock.target],
                                        "deadline": deadline})


_LEVEL_TEXT = {
    SLAEscalation.Level.WARNING: gettext_lazy("SLA warning: %(number)s %(target)s is due at %(deadline)s."),
    SLAEscalation.Level.BREACH: gettext_lazy("SLA breached: %(number)s %(target)s was due at %(deadline)s. Escalated to you."),
    SLAEscalation.Level.LEVEL2: gettext_lazy("SLA level 2: %(number)s %(target)s is far overdue (due %(deadline)s)."),
}
_TARGET_LABEL = dict(Target.choices)  # lazy labels, rendered in each recipient's language


# The kind of each level, for the recipient's channel preference (servicedesk/preferences.py).
LEVEL_KIND = {SLAEscalation.Level.WARNING: "sla_warning", SLAEscalation.Level.BREACH: "sla_breach",
              SLAEscalation.Level.LEVEL2: "sla_level2"}


class _Outbox:
    """Notifications collected during a batch and written with one INSERT at its end
    (servicedesk.services.notify_many): one statement for a batch of 200 instead of one per message,
    which is what keeps 10,000 newly due clocks within seconds."""

    def __init__(self):
        self.items = []

    def add(self, *, recipient, message, url: str, kind: str, group: str):
        from servicedesk.preferences import Note

        self.items.append(Note(recipient=recipient, message=message, url=url, kind=kind, group=group))

    def flush(self):
        from servicedesk.services import notify_many

        notify_many(self.items, email=True)
        self.items = []


def _notify(level: str, clock: SLAClock, recipients: _Recipients, outbox: _Outbox) -> None:
    """Tell whoever a newly recorded level concerns (domain.md §4): warning → the owner (else the
    supervisor), breach → the supervisor, level 2 → the managers."""
    ticket = clock.ticket
    url = _ticket_url(ticket, recipients)
    department = recipients.department_of(clock) if clock.handoff_id else None
    if department is not None and level != SLAEscalation.Level.LEVEL2:
        # A department clock (issue 17): the warning goes to the department (head and members), the
        # breach to its head; a department without a head escalates to the ticket's supervisor.
        if level == SLAEscalation.Level.WARNING:
            people = department.people()
        else:
            people = [department.head] if department.head_id and department.head.is_active else []
        people = people or recipients.supervisor_of(ticket)
    elif level == SLAEscalation.Level.WARNING:
        people = [ticket.assignee] if ticket.assignee_id else recipients.supervisor_of(ticket)
    elif level == SLAEscalation.Level.BREACH:
        people = recipients.supervisor_of(ticket)
    else:
        people = recipients.managers
    message = _message(level, clock)
    for person in people:
        outbox.add(recipient=person, message=message, url=url, kind=LEVEL_KIND[level], group=f"ticket:{ticket.pk}")


def _supervisor_to_assign(clock: SLAClock, recipients: _Recipients):
    """The supervisor a breach hands the ticket to (reassign_to_supervisor), or None when it already
    is theirs. Checked here, in Python, before anything is written: a supervisor who cannot work
    tickets fails this row alone (ticket_assign would refuse them)."""
    ticket = clock.ticket
    supervisor = recipients.supervisor_of(ticket)[:1]
    if not supervisor or supervisor[0].pk == ticket.assignee_id:
        return None
    if not (supervisor[0].is_active and supervisor[0].has_perm("tickets.work_ticket")):
        raise ValueError(f"clock {clock.pk}: supervisor {supervisor[0].pk} cannot work tickets")
    return supervisor[0]


def _save_progress(clocks: list[SLAClock]) -> None:
    """One UPDATE … FROM (VALUES …) for the batch, from arrays on PostgreSQL (bulk_update's CASE WHEN per
    row and field costs more in Python than the whole batch costs in the database)."""
    if not clocks:
        return
    ops = connection.ops
    table = SLAClock._meta.db_table
    if connection.vendor == "postgresql":
        # one array per column (as servicedesk.bulk.insert_many): five parameters, not five per clock
        source = "SELECT * FROM unnest(%s::bigint[], %s::integer[], %s::timestamptz[], %s::boolean[], %s::timestamptz[])"
        params = [[c.pk for c in clocks], [int(c.last_level) for c in clocks], [c.breached_at for c in clocks],
                  [c.met for c in clocks], [c.next_check_at for c in clocks]]
    else:
        rows, params = [], []
        for c in clocks:
            rows.append("(%s, %s, %s, %s, %s)")
            params += [c.pk, int(c.last_level), ops.adapt_datetimefield_value(c.breached_at), c.met,
                       ops.adapt_datetimefield_value(c.next_check_at)]
        source = f"VALUES {', '.join(rows)}"
    sql = (
        f"WITH v(id, last_level, breached_at, met, next_check_at) AS ({source}) "
        f"UPDATE {table} SET last_level = v.last_level, breached_at = v.breached_at, met = v.met, "
        f"next_check_at = v.next_check_at FROM v WHERE {table}.id = v.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _advance(clock: SLAClock, fired_levels: list[tuple[int, datetime]]) -> None:
    for level, at in fired_levels:
        clock.last_level = max(clock.last_level, level)
        if level == SLAClock.Level.BREACH:
            clock.breached_at = clock.breached_at or at
            clock.met = False
    clockmath.refresh_next_check(clock)


# What the sweep reads of a ticket: status and priority (a breach's raise, which also moves version and
# updated_at), team and assignee (who is told), the number (the text), and what a webhook's sla.breached
# payload quotes (webhooks.services.ticket_data). Only these are loaded: converting the other columns
# (long texts, a dozen moments, tags) cost a batch of 1,000 tickets 34 → 22 ms (issue 14). A field read
# that is not listed costs one query per ticket: the webhook sweep test counts the ticket reads.
SWEEP_TICKET_FIELDS = ("id", "number", "kind", "status", "priority", "channel", "subject", "customer_id",
                       "assignee_id", "team_id", "created_at", "updated_at", "version")


def sweep_batch(*, now: datetime, batch_size: int, recipients: _Recipients, result: SweepResult,
                fail_after: int | None = None) -> int:
    """One batch in one transaction. Returns how many due rows it handled (0 = nothing left it can do)."""
    from tickets.models import Ticket

    with transaction.atomic():
        claimed = list(
            SLAClock.objects.filter(next_check_at__lte=now)
            .order_by("next_check_at")
            .select_for_update(skip_locked=True, of=("self",))[:batch_size]
        )
        if not claimed:
            return 0
        busy_before = result.skipped_busy
        # Lock their tickets too, without waiting (see module doc): busy ones wait for the next sweep.
        ticket_ids = {c.ticket_id for c in claimed}
        tickets = {
            t.pk: t
            for t in Ticket.objects.filter(pk__in=ticket_ids).only(*SWEEP_TICKET_FIELDS)
            .select_for_update(skip_locked=True, of=("self",))
        }
        recipients.attach(tickets.values())
        recipients.attach_handoffs(claimed)
        plans: list[tuple[SLAClock, list[tuple[int, datetime]]]] = []
        pushed: list[SLAClock] = []
        for clock in claimed:
            ticket = tickets.get(clock.ticket_id)
            if ticket is None:
                result.skipped_busy += 1
                continue
            clock.ticket = ticket
            try:
                due = clockmath.due_levels(clock, now)
            except Exception:
                logger.exception("SLA sweep: cannot compute clock %s; retrying in %s", clock.pk, RETRY_DELAY)
                clock.next_check_at = now + RETRY_DELAY
                pushed.append(clock)
                result.failed += 1
                continue
            plans.append((clock, due))
        result.examined += len(plans)
        before = [(clock, rollup.state(clock)) for clock, _due in plans]
        # Only the highest level due is notified (issue 11 item 4): a clock first swept after its
        # breach records the warning too (so it never fires later) but marks it not notified.
        inserted = _insert_escalations(
            [(clock.pk, LEVEL_NAME[level], at, level == max(lv for lv, _at in due))
             for clock, due in plans for level, at in due], now
        )
        done: list[SLAClock] = []
        outbox = _Outbox()
        # Timeline events and reasons in the department's language; notifications are rendered by
        # notify_many in each recipient's own language.
        with override(settings.LANGUAGE_CODE):
            _run_effects(plans, inserted, done, pushed, outbox, recipients, now, result, fail_after)
        outbox.flush()
        _save_progress([*done, *pushed])
        rollup.record(before)  # breaches decide clocks (met = False): counted in the same transaction
        result.batches += 1
        return len(claimed) - (result.skipped_busy - busy_before)


def _run_effects(plans, inserted, done, pushed, outbox, recipients, now, result, fail_after) -> None:
    """Carry out the newly recorded levels of a batch (domain.md §4), set-based (style.md §16).

    A first pass in Python decides each row's effects: its notification (only the highest level due
    is told), and for a new breach of a ticket that is still open, one priority step and perhaps a
    reassignment. A row whose effects cannot be worked out is pushed forward by RETRY_DELAY, alone;
    nothing was written for it yet, so no savepoint is needed. Then the batch writes: one set of
    priority UPDATEs and one INSERT of timeline events for all breaches
    (tickets.services.tickets_raise_priority_for_breach), and the rare reassignments one by one. If a
    set write fails, the exception rolls back the whole batch (escalation rows included) and the
    next sweep takes it again: exactly once still rests on the unique (clock, level) rows.
    """
    from tickets import services as ticket_services

    breaches: dict[int, list[str]] = {}  # ticket id → one reason per newly breached clock
    breached: list[SLAClock] = []  # for the clocks_breached signal (webhooks), one send per batch
    tickets: dict[int, object] = {}
    assignments: list[tuple[SLAClock, object, str]] = []
    reasons: dict[str, str] = {}  # target → its text, translated once per batch
    for clock, due in plans:
        if fail_after is not None and result.processed >= fail_after:
            raise RuntimeError("simulated crash in the middle of an SLA sweep batch")
        new_levels = [LEVEL_NAME[level] for level, _at in due if (clock.pk, LEVEL_NAME[level]) in inserted]
        highest = LEVEL_NAME[max(level for level, _at in due)] if due else None
        pending = len(outbox.items)
        try:
            if highest in new_levels:
                _notify(highest, clock, recipients, outbox)
            breach = (SLAEscalation.Level.BREACH in new_levels
                      and clock.ticket.status not in ticket_services.BREACH_EXEMPT_STATUSES)
            if breach:
                reason = reasons.get(clock.target)
                if reason is None:
                    reason = reasons[clock.target] = _("SLA breached: %(target)s") % {"target": Target(clock.target).label}
                supervisor = _supervisor_to_assign(clock, recipients) if clock.reassign_to_supervisor else None
        except Exception:
            logger.exception("SLA sweep: effect failed for clock %s; retrying in %s", clock.pk, RETRY_DELAY)
            # Its escalation rows were inserted and stay: the notification is lost rather than sent
            # twice. Push the row forward and go on.
            del outbox.items[pending:]
            _advance(clock, due)
            clock.next_check_at = min(filter(None, [clock.next_check_at, now + RETRY_DELAY]))
            pushed.append(clock)
            result.failed += 1
            continue
        if breach:
            breaches.setdefault(clock.ticket_id, []).append(reason)
            breached.append(clock)
            tickets[clock.ticket_id] = clock.ticket
            if supervisor is not None:
                assignments.append((clock, supervisor, reason))
        for name in new_levels:
            result.fired[name] += 1
        _advance(clock, due)
        done.append(clock)
        result.processed += 1
    ticket_services.tickets_raise_priority_for_breach(tickets=list(tickets.values()), reasons=breaches, now=now)
    if breached:
        signals.clocks_breached.send(sender=SLAClock, clocks=breached, now=now)
    for clock, supervisor, reason in assignments:
        # Off by default and rare: the per-ticket service (its own savepoint keeps a refusal to itself).
        if supervisor.pk == clock.ticket.assignee_id:
            continue  # a second breach of the same ticket in this batch
        try:
            ticket_services.ticket_assign(ticket=clock.ticket, assignee=supervisor, actor=None, reason=reason, now=now)
        except ValidationError:
            logger.exception("SLA sweep: cannot reassign ticket %s to its supervisor at breach of clock %s",
                             clock.ticket_id, clock.pk)
            result.failed += 1


SWEEP_BATCH = 1000


def sla_sweep(*, now: datetime | None = None, batch_size: int = SWEEP_BATCH, time_budget: float = 45.0,
              fail_after: int | None = None) -> SweepResult:
    """Fire every warning and escalation that is due (domain.md §4), exactly once.

    Batches of `batch_size` due clocks, each batch in its own transaction, until nothing is due or
    `time_budget` seconds are spent (the next beat tick continues). 1,000 a batch: each batch has a
    fixed cost (its claim, reads and statements; 9,000 breaches on SQLite: 5.6 s at 200, 4.6 s at 500,
    4.2 s at 1,000, 3.9 s at 2,000, and with fewer WAL checkpoints 4.0 s at 1,000 and at 2,000), and a
    batch still holds SQLite's write lock for only about a third of a second (PostgreSQL locks rows). Events are stamped with their scheduled moment, so a catch-up after downtime records the
    true history. `fail_after` exists for
    the crash test: raise (as a dying worker would) once that many rows have been processed.
    """
    now = now or timezone.now()
    result = SweepResult()
    recipients = _Recipients()
    started = stopwatch.monotonic()
    while True:
        handled = sweep_batch(now=now, batch_size=batch_size, recipients=recipients, result=result, fail_after=fail_after)
        if handled == 0 or stopwatch.monotonic() - started > time_budget:
            break
    result.seconds = stopwatch.monotonic() - started
    return result


def calendar_save(*, form, formset) -> BusinessCalendar:
    """Save a calendar and its weekly hours; making it the default un-defaults the old one."""
    with transaction.atomic():
        calendar = form.save(commit=False)
        if calendar.is_default:
            BusinessCalendar.objects.filter(is_default=True).exclude(pk=calendar.pk).update(is_default=False)
        calendar.save()
        formset.instance = calendar
        formset.save()
        calendar_touch(calendar.pk)
    return calendar


def calendar_day_set(*, calendar: BusinessCalendar, date, kind: str, name: str = ""):
    """Add or change a dated exception (holiday / 调休 make-up day). One entry per date."""
    from .models import CalendarDay

    with transaction.atomic():
        day, _created = CalendarDay.objects.update_or_create(calendar=calendar, date=date, defaults={"kind": kind, "name": name})
        calendar_touch(calendar.pk)
    return day


def calendar_day_delete(*, day) -> None:
    with transaction.atomic():
        calendar_id = day.calendar_id
        day.delete()
        calendar_touch(calendar_id)
