"""The sweep: warning at 75 %, breach, level 2 — each exactly once, stamped at its scheduled moment,
whether the sweep runs twice, dies mid-batch, meets a bad row, or catches up after downtime."""
from datetime import timedelta

import pytest
import time_machine

from servicedesk.models import Notification, Team
from sla.models import SLAClock, SLAEscalation
from sla.services import sla_sweep
from tests.sla.slatime import at
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

OPENED = at(2026, 11, 23, 9)  # Monday; first response due Tuesday 09:00, warning Tuesday 03:00


@pytest.fixture
def team(personas):
    return Team.objects.create(name="Repairs", supervisor=personas.supervisor)


@pytest.fixture
def ticket(open_ticket, team, personas):
    return open_ticket(now=OPENED, team=team, assignee=personas.agent)


def escalations(ticket):
    return list(
        SLAEscalation.objects.filter(clock__ticket=ticket).order_by("clock__target", "scheduled_for")
        .values_list("clock__target", "level", "scheduled_for")
    )


def test_nothing_fires_before_the_warning_moment(ticket):
    result = sla_sweep(now=at(2026, 11, 24, 2, 59))
    assert result.examined == 0 and escalations(ticket) == []


def test_warning_at_75_percent_goes_to_the_owner(ticket, personas):
    # when the sweep runs at 03:00 Tuesday (18 of 24 hours used)
    result = sla_sweep(now=at(2026, 11, 24, 3))
    # then one warning, stamped 03:00, and the owner's bell has it
    assert result.fired["warning"] == 1
    assert escalations(ticket) == [("first_response", "warning", at(2026, 11, 24, 3))]
    note = Notification.objects.get(recipient=personas.agent)
    assert ticket.number in note.message and "warning" in note.message.lower()
    assert SLAClock.objects.get(ticket=ticket, target="first_response").next_check_at == at(2026, 11, 24, 9)


def test_breach_notifies_supervisor_raises_priority_and_level2_reaches_managers(ticket, personas):
    manager = personas.manager
    sla_sweep(now=at(2026, 11, 24, 3))
    # breach at the deadline
    with time_machine.travel(at(2026, 11, 24, 9, 0, 30), tick=False):
        result = sla_sweep()
    assert result.fired == {"warning": 0, "breach": 1, "level2": 0}
    fr = SLAClock.objects.get(ticket=ticket, target="first_response")
    assert fr.met is False and fr.breached_at == at(2026, 11, 24, 9)
    assert Notification.objects.filter(recipient=personas.supervisor).count() == 1
    ticket.refresh_from_db()
    assert ticket.priority == Ticket.Priority.HIGH
    assert ticket.events.filter(kind="priority", actor__isnull=True).count() == 1
    # level 2 at twice the target: Wednesday 09:00 (meanwhile the resolution clock warns and breaches)
    assert sla_sweep(now=at(2026, 11, 25, 8, 59)).fired == {"warning": 1, "breach": 1, "level2": 0}
    assert Notification.objects.filter(recipient=manager).count() == 0
    assert sla_sweep(now=at(2026, 11, 25, 9)).fired["level2"] == 1
    assert Notification.objects.filter(recipient=manager).count() == 1
    assert SLAClock.objects.get(pk=fr.pk).next_check_at is None


def test_running_the_sweep_twice_changes_nothing_the_second_time(ticket):
    first = sla_sweep(now=at(2026, 11, 24, 10))
    second = sla_sweep(now=at(2026, 11, 24, 10))
    assert first.fired["warning"] == 1 and first.fired["breach"] == 1
    assert second.examined == 0 and second.fired == {"warning": 0, "breach": 0, "level2": 0}
    # both levels recorded; only the highest (the breach, to the supervisor) was notified
    assert SLAEscalation.objects.count() == 2 and Notification.objects.count() == 1


def test_first_sweep_past_several_levels_notifies_only_the_highest(ticket, personas):
    """Issue 11 item 4: warning, breach and level 2 of one clock must not arrive in the same minute."""
    # given nobody swept the clock until after its level-2 moment (Wednesday 09:00)
    manager = personas.manager
    # when the first sweep runs
    sla_sweep(now=at(2026, 11, 25, 9, 30))
    # then the first-response warning and breach are recorded as passed, not notified, and the level 2 is
    rows = dict(SLAEscalation.objects.filter(clock__ticket=ticket, clock__target="first_response")
                .values_list("level", "notified"))
    assert rows == {"warning": False, "breach": False, "level2": True}
    # one notification per clock: the manager hears of first response (level 2), the supervisor of
    # resolution (breach); the agent's two warnings stay silent
    assert Notification.objects.filter(recipient=manager).count() == 1
    assert Notification.objects.filter(recipient=personas.supervisor).count() == 1
    assert Notification.objects.filter(recipient=personas.agent).count() == 0
    assert Notification.objects.count() == SLAClock.objects.filter(ticket=ticket, escalations__isnull=False).distinct().count()
    # and the breach still raised the priority (its effect on the ticket is not a notification)
    ticket.refresh_from_db()
    assert ticket.priority < Ticket.Priority.NORMAL


def test_catch_up_after_beat_was_down_fires_each_level_once_at_its_scheduled_moment(ticket):
    # given beat was down from Monday until Thursday 12:00
    result = sla_sweep(now=at(2026, 11, 26, 12))
    # then every level of both clocks fired once, stamped when it was due, not when caught up
    assert escalations(ticket) == [
        ("first_response", "warning", at(2026, 11, 24, 3)),
        ("first_response", "breach", at(2026, 11, 24, 9)),
        ("first_response", "level2", at(2026, 11, 25, 9)),
        ("resolution", "warning", at(2026, 11, 24, 14)),  # 12 working hours: Mon 8 + Tue 09–12, 13–14
        ("resolution", "breach", at(2026, 11, 24, 18)),
    ]  # resolution level 2 (32 working hours: Thursday 18:00) is not due yet
    assert result.fired == {"warning": 2, "breach": 2, "level2": 1}
    ticket.refresh_from_db()
    assert ticket.priority == Ticket.Priority.URGENT  # raised one step per breach: normal → high → urgent
    assert sla_sweep(now=at(2026, 11, 26, 12)).examined == 0


def test_paused_clock_does_not_fire(ticket, personas):
    from tickets.services import ticket_transition

    ticket_transition(ticket=ticket, to_status="waiting", actor=personas.agent, now=at(2026, 11, 23, 10))
    assert sla_sweep(now=at(2026, 11, 30, 10)).examined == 0
    assert SLAEscalation.objects.count() == 0


def test_sweep_dying_mid_batch_is_finished_by_the_next_run_without_duplicates(open_ticket, team, personas):
    # given 5 tickets whose first-response warning is due
    tickets = [open_ticket(now=OPENED, team=team, assignee=personas.agent) for _ in range(5)]
    now = at(2026, 11, 24, 3)
    # when the worker dies after 3 rows (batches of 2: the first batch committed, the second not)
    with pytest.raises(RuntimeError):
        sla_sweep(now=now, batch_size=2, fail_after=3)
    assert SLAEscalation.objects.count() == 2
    # then the next run finishes the job, and nobody is warned twice
    result = sla_sweep(now=now, batch_size=2)
    assert result.fired["warning"] == 3
    assert SLAEscalation.objects.filter(level="warning").count() == 5
    assert Notification.objects.filter(recipient=personas.agent).count() == 5
    for t in tickets:
        assert len(escalations(t)) == 1


def test_a_failing_row_is_pushed_forward_and_does_not_stall_the_others(open_ticket, personas, customer_factory):
    # given a team whose "supervisor" cannot work tickets, on a policy that reassigns at breach
    from sla.models import SLATarget

    SLATarget.objects.filter(policy__name="Repair", target="first_response").update(reassign_to_supervisor=True)
    broken = Team.objects.create(name="Broken", supervisor=personas.outsider)
    good_team = Team.objects.create(name="Good", supervisor=personas.supervisor)
    bad = open_ticket(now=OPENED, team=broken, assignee=personas.agent)
    good = open_ticket(now=OPENED, team=good_team, assignee=personas.agent)
    now = at(2026, 11, 24, 9, 1)
    # when the sweep meets the breach it cannot carry out
    result = sla_sweep(now=now)
    # then the good ticket is reassigned to its supervisor, the bad row is logged and retried in 5 min
    assert result.failed == 1
    good.refresh_from_db()
    assert good.assignee == personas.supervisor
    bad_clock = SLAClock.objects.get(ticket=bad, target="first_response")
    assert bad_clock.next_check_at == now + timedelta(minutes=5) or bad_clock.next_check_at is None
    assert SLAEscalation.objects.filter(clock=bad_clock, level="breach").count() == 1
    # and a later sweep never repeats the breach
    sla_sweep(now=now + timedelta(minutes=5))
    assert SLAEscalation.objects.filter(clock__ticket=bad, level="breach").count() == 1


def test_resolved_before_the_deadline_never_escalates(ticket, personas):
    from tickets.services import ticket_transition

    ticket_transition(ticket=ticket, to_status="resolved", actor=personas.agent, now=at(2026, 11, 23, 12))
    assert sla_sweep(now=at(2026, 12, 1)).examined == 0
    assert set(SLAClock.objects.filter(ticket=ticket).values_list("met", flat=True)) == {True}
