"""How ticket changes move the clocks: pause/resume, first response, resolve/reopen, cancel,
complaint milestones, and the manager's explicit re-apply."""
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from sla import selectors
from sla.models import SLAClock, SLAPolicyChange, SLATarget
from sla.services import policy_reapply
from tests.sla.slatime import at
from tickets.services import complaint_record_investigation, ticket_reply, ticket_transition

pytestmark = pytest.mark.django_db


def clock(ticket, target):
    return SLAClock.objects.get(ticket=ticket, target=target)


def test_waiting_pauses_and_resume_extends_by_paused_time(open_ticket, personas):
    # given a repair opened Monday 09:00: first response 24 h all-day, resolution 16 working hours
    ticket = open_ticket(now=at(2026, 11, 23, 9))
    assert selectors.ticket_deadlines(ticket) == {"first_response": at(2026, 11, 24, 9), "resolution": at(2026, 11, 24, 18)}
    # when it waits on the customer from 10:00 to 14:00
    ticket_transition(ticket=ticket, to_status="waiting", actor=personas.agent, now=at(2026, 11, 23, 10))
    paused = clock(ticket, "resolution")
    assert paused.paused_at == at(2026, 11, 23, 10) and paused.next_check_at is None
    ticket_transition(ticket=ticket, to_status="in_progress", actor=personas.agent, now=at(2026, 11, 23, 14))
    # then the all-day clock moves 4 h; the business clock 3 working hours (10–12, 13–14; lunch excluded)
    fr, res = clock(ticket, "first_response"), clock(ticket, "resolution")
    assert fr.deadline == at(2026, 11, 24, 13) and fr.paused_total == timedelta(hours=4)
    assert res.deadline == at(2026, 11, 25, 12) and res.paused_total == timedelta(hours=3)
    assert res.paused_at is None and res.next_check_at == res.warning_at
    # 75 % of 16 working hours = 12 h, + 3 h paused = 15 h from Monday 09:00 → Tuesday 17:00
    assert res.warning_at == at(2026, 11, 24, 17)


def test_pause_after_warning_keeps_the_warning_moment(open_ticket, personas):
    ticket = open_ticket(now=at(2026, 11, 23, 9))  # first-response warning Tuesday 03:00
    ticket_transition(ticket=ticket, to_status="waiting", actor=personas.agent, now=at(2026, 11, 24, 4))
    ticket_transition(ticket=ticket, to_status="in_progress", actor=personas.agent, now=at(2026, 11, 24, 6))
    fr = clock(ticket, "first_response")
    assert fr.warning_at == at(2026, 11, 24, 3)  # was due before the pause: unchanged, still due
    assert fr.deadline == at(2026, 11, 24, 11)
    assert fr.next_check_at == at(2026, 11, 24, 3)


def test_first_public_reply_stops_first_response_only(open_ticket, personas):
    ticket = open_ticket(now=at(2026, 11, 23, 9))
    ticket_reply(ticket=ticket, author=personas.agent, body="We are on it.", public=True, now=at(2026, 11, 23, 11))
    fr, res = clock(ticket, "first_response"), clock(ticket, "resolution")
    assert fr.stopped_at == at(2026, 11, 23, 11) and fr.met is True and fr.elapsed == timedelta(hours=2)
    assert fr.next_check_at is None
    assert res.stopped_at is None and res.next_check_at is not None


def test_late_first_response_is_not_met(open_ticket, personas):
    ticket = open_ticket(now=at(2026, 11, 23, 9))
    ticket_reply(ticket=ticket, author=personas.agent, body="Sorry for the wait.", public=True, now=at(2026, 11, 24, 10))
    assert clock(ticket, "first_response").met is False


def test_resolve_then_reopen_restarts_resolution_with_the_time_left(open_ticket, personas):
    # given a repair opened Monday 09:00 and resolved at 11:00 (2 of 16 working hours used)
    ticket = open_ticket(now=at(2026, 11, 23, 9))
    ticket_transition(ticket=ticket, to_status="resolved", actor=personas.agent, now=at(2026, 11, 23, 11))
    res = clock(ticket, "resolution")
    assert res.met is True and res.elapsed == timedelta(hours=2) and res.next_check_at is None
    # when the customer is not satisfied and it is reopened Wednesday 09:00
    ticket_transition(ticket=ticket, to_status="reopened", actor=personas.agent, now=at(2026, 11, 25, 9))
    # then the resolution clock runs again with 14 working hours left → Thursday 16:00
    res = clock(ticket, "resolution")
    assert res.stopped_at is None and res.met is None
    assert res.deadline == at(2026, 11, 26, 16)
    assert res.next_check_at == res.warning_at
    # and the first-response clock, stopped by the resolution, stays stopped
    assert clock(ticket, "first_response").stopped_at == at(2026, 11, 23, 11)


def test_cancel_stops_all_clocks_undecided(open_ticket, personas):
    ticket = open_ticket(now=at(2026, 11, 23, 9))
    ticket_transition(ticket=ticket, to_status="cancelled", actor=personas.agent, reason="Duplicate",
                      now=at(2026, 11, 23, 10))
    assert list(SLAClock.objects.filter(ticket=ticket).values_list("met", "next_check_at")) == [(None, None)] * 2
    assert SLAClock.objects.filter(ticket=ticket, stopped_at__isnull=True).count() == 0


def test_complaint_investigation_milestone_stops_its_clock(open_ticket, personas):
    ticket = open_ticket(kind="complaint", now=at(2026, 11, 23, 9))
    complaint_record_investigation(ticket=ticket, actor=personas.agent, findings="Technician was late.",
                                   now=at(2026, 11, 23, 16))
    inv = clock(ticket, "investigation")
    assert inv.stopped_at == at(2026, 11, 23, 16) and inv.met is True
    assert inv.elapsed == timedelta(hours=6)  # 09–12 and 13–16 on the business clock
    assert clock(ticket, "solution").stopped_at is None


def test_reapply_policy_is_explicit_and_logged(open_ticket, personas):
    ticket = open_ticket(now=at(2026, 11, 23, 9))
    SLATarget.objects.filter(policy__name="Repair", target="first_response").update(hours=2)
    # an agent may not
    with pytest.raises(ValidationError):
        policy_reapply(ticket=ticket, actor=personas.agent, now=at(2026, 11, 23, 10))
    # a manager may: the running clock is re-based on the current policy from its own start
    change = policy_reapply(ticket=ticket, actor=personas.manager, reason="Customer upgraded", now=at(2026, 11, 23, 10))
    assert clock(ticket, "first_response").deadline == at(2026, 11, 23, 11)
    assert change.before["first_response"] == at(2026, 11, 24, 9).isoformat()
    assert SLAPolicyChange.objects.filter(ticket=ticket, actor=personas.manager).count() == 1
    assert ticket.events.filter(kind="sla_reapplied").count() == 1


def test_kind_change_does_not_move_existing_deadlines_but_priority_change_neither(open_ticket, personas):
    from tickets.services import ticket_set_priority

    ticket = open_ticket(now=at(2026, 11, 23, 9))
    ticket_set_priority(ticket=ticket, priority=0, actor=personas.agent, now=at(2026, 11, 23, 9, 30))
    assert clock(ticket, "first_response").deadline == at(2026, 11, 24, 9)
