"""Every allowed and every refused transition of the ticket state machine (domain.md §3)."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from tickets.models import Complaint, Ticket, TicketEvent, TicketSettings
from tickets.services import TRANSITIONS, allowed_transitions, ticket_transition

pytestmark = pytest.mark.django_db
S = Ticket.Status
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

# A path from new to every status, through allowed moves only.
PATH_TO = {
    S.NEW: [],
    S.ACKNOWLEDGED: [S.ACKNOWLEDGED],
    S.IN_PROGRESS: [S.IN_PROGRESS],
    S.WAITING: [S.WAITING],
    S.RESOLVED: [S.RESOLVED],
    S.CLOSED: [S.RESOLVED, S.CLOSED],
    S.REOPENED: [S.RESOLVED, S.REOPENED],
    S.CANCELLED: [S.CANCELLED],
}
# A savepoint per attempt: every target is tried from the same starting ticket, then rolled back.
class _Rollback(Exception):
    pass


def _ticket_in(status, ticket_factory, actor):
    ticket = ticket_factory(kind=Ticket.Kind.INQUIRY, now=NOW)
    for step in PATH_TO[status]:
        ticket = ticket_transition(ticket=ticket, to_status=step, actor=actor, now=NOW, reason="because")
    assert ticket.status == status
    return ticket


def test_transition_table_covers_every_status():
    assert set(TRANSITIONS) == set(S.values)


@pytest.mark.parametrize("old", S.values)
def test_every_transition_from(old, ticket_factory, personas):
    """For one starting status, every other status is either allowed (and recorded) or refused."""
    # given
    ticket = _ticket_in(old, ticket_factory, personas.agent)
    events_before = TicketEvent.objects.filter(ticket=ticket).count()
    for new in S.values:
        if new == old:
            continue
        # when / then
        if new in TRANSITIONS[old]:
            try:
                with transaction.atomic():
                    moved = ticket_transition(ticket=ticket, to_status=new, actor=personas.agent, now=NOW,
                                              reason="because")
                    assert moved.status == new, (old, new)
                    # (the customer's progress message, if any, is its own event: tests/portal)
                    ev = TicketEvent.objects.filter(ticket=ticket).exclude(kind="message_to_customer").latest("id")
                    assert (ev.kind, ev.before, ev.after, ev.actor) == ("status", old, new, personas.agent)
                    raise _Rollback
            except _Rollback:
                pass
        else:
            with pytest.raises(ValidationError) as e:
                ticket_transition(ticket=ticket, to_status=new, actor=personas.agent, now=NOW, reason="because")
            assert e.value.code == "illegal_transition", (old, new)
            assert "cannot become" in e.value.messages[0]
        ticket.refresh_from_db()
        assert ticket.status == old
        assert TicketEvent.objects.filter(ticket=ticket).count() == events_before


def test_every_pair_is_classified():
    allowed = sum(len(v) for v in TRANSITIONS.values())
    refused = len(S.values) * (len(S.values) - 1) - allowed
    assert (allowed, refused) == (22, 34)


def test_cancel_needs_a_reason(ticket_factory, personas):
    ticket = ticket_factory()
    with pytest.raises(ValidationError) as e:
        ticket_transition(ticket=ticket, to_status=S.CANCELLED, actor=personas.agent, reason="  ")
    assert e.value.code == "reason_required"
    ticket = ticket_transition(ticket=ticket, to_status=S.CANCELLED, actor=personas.agent, reason="Duplicate")
    assert ticket.cancel_reason == "Duplicate"


@pytest.mark.parametrize("via", [S.RESOLVED, S.CLOSED])
def test_reopen_only_within_window(via, ticket_factory, personas):
    # given a ticket resolved (and maybe closed) at NOW, window 7 days by default
    ticket = _ticket_in(via, ticket_factory, personas.agent)
    assert TicketSettings.current().reopen_window_days == 7
    # then: inside the window it may reopen
    assert S.REOPENED in allowed_transitions(ticket, now=NOW + timedelta(days=7))
    # after the window it may not
    late = NOW + timedelta(days=7, minutes=1)
    assert S.REOPENED not in allowed_transitions(ticket, now=late)
    with pytest.raises(ValidationError) as e:
        ticket_transition(ticket=ticket, to_status=S.REOPENED, actor=personas.agent, now=late)
    assert e.value.code == "reopen_window"


def test_reopen_window_is_a_manager_setting(ticket_factory, personas):
    settings_row = TicketSettings.current()
    settings_row.reopen_window_days = 30
    settings_row.save()
    ticket = _ticket_in(S.CLOSED, ticket_factory, personas.agent)
    reopened = ticket_transition(ticket=ticket, to_status=S.REOPENED, actor=personas.agent,
                                 now=NOW + timedelta(days=20))
    assert reopened.status == S.REOPENED and reopened.resolved_at is None and reopened.closed_at is None


def test_complaint_extra_guards(ticket_factory, personas):
    ticket = ticket_factory(kind=Ticket.Kind.COMPLAINT)
    with pytest.raises(ValidationError) as e:
        ticket_transition(ticket=ticket, to_status=S.RESOLVED, actor=personas.agent)
    assert e.value.code == "complaint_not_decided"
    Complaint.objects.filter(ticket=ticket).update(decided_at=NOW)
    ticket = ticket_transition(ticket=ticket, to_status=S.RESOLVED, actor=personas.agent)
    with pytest.raises(ValidationError) as e:
        ticket_transition(ticket=ticket, to_status=S.CLOSED, actor=personas.agent)
    assert e.value.code == "complaint_no_return_visit"
