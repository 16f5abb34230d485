"""Lost and invalid leads (issue 17 item 8): recorded once by the handler, counted only after the second
confirmation by another person (their supervisor or a manager)."""
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from leads import selectors, services
from leads.models import LeadEvent, LeadOutcome
from servicedesk.models import Notification
from tickets.models import Ticket

from .conftest import T0, TZ

pytestmark = pytest.mark.django_db


def _record(ticket, by, **kw):
    kw.setdefault("outcome", "lost")
    kw.setdefault("reason", "price")
    kw.setdefault("customer_words", "太贵了，别家便宜三百")
    return services.lead_record(ticket=ticket, by=by, now=T0 + timedelta(hours=1), **kw)


def _counted():
    return selectors.loss_analysis(selectors.confirmed(), tz=TZ)["total"]


def test_a_lost_lead_counts_only_after_the_second_confirmation(personas, make_ticket):
    # given an inquiry handled by the agent
    ticket = make_ticket(product="Heater")
    # when the agent records it as lost (the first confirmation)
    outcome = _record(ticket, personas.agent)
    # then the ticket is cancelled through tickets' state machine, the supervisor is asked, and nothing counts yet
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CANCELLED and "太贵了" in ticket.cancel_reason
    assert outcome.state == LeadOutcome.State.PENDING and outcome.product == "Heater"
    assert Notification.objects.filter(recipient=personas.supervisor, kind="leads_to_confirm").count() == 1
    assert _counted() == 0
    # when the supervisor confirms
    services.lead_confirm(outcome=outcome, by=personas.supervisor, now=T0 + timedelta(hours=2))
    # then it counts, by reason, staff, product and month
    result = selectors.loss_analysis(selectors.confirmed(), tz=TZ)
    assert result["total"] == 1
    assert result["by_reason"][0]["code"] == "price"
    assert result["by_staff"][0]["id"] == personas.agent.pk
    assert result["by_product"][0]["product"] == "Heater"
    assert result["by_month"][0]["month"].strftime("%Y-%m") == "2026-11"
    assert list(LeadEvent.objects.filter(outcome=outcome).values_list("action", flat=True)) == ["recorded", "confirmed"]


def test_the_same_person_cannot_confirm_twice(personas, make_ticket):
    # given the supervisor handles and records a request themselves
    ticket = make_ticket(assignee=personas.supervisor)
    personas.manager  # exists
    outcome = _record(ticket, personas.supervisor, outcome="invalid", reason="not_planning")
    # then they cannot give the second confirmation; a manager is asked and can
    with pytest.raises(ValidationError):
        services.lead_confirm(outcome=outcome, by=personas.supervisor)
    assert Notification.objects.filter(recipient=personas.manager, kind="leads_to_confirm").exists()
    outcome.refresh_from_db()
    assert outcome.state == LeadOutcome.State.PENDING and _counted() == 0
    services.lead_confirm(outcome=outcome, by=personas.manager)
    assert _counted() == 1
    # and a second confirmation is refused
    with pytest.raises(ValidationError):
        services.lead_confirm(outcome=outcome, by=personas.manager)


def test_another_agent_or_another_teams_supervisor_cannot_confirm(personas, make_ticket):
    from tests.conftest import make_user

    other_sup = make_user("othersup", "supervisor")
    outcome = _record(make_ticket(), personas.agent)
    for person in (personas.agent2, other_sup):
        with pytest.raises(ValidationError):
            services.lead_confirm(outcome=outcome, by=person)
    assert not services.can_confirm(user=other_sup, outcome=outcome)


def test_a_refusal_sends_it_back_and_the_corrected_outcome_is_confirmed(personas, make_ticket):
    outcome = _record(make_ticket(), personas.agent)
    with pytest.raises(ValidationError):
        services.lead_return(outcome=outcome, by=personas.supervisor, reason=" ")
    services.lead_return(outcome=outcome, by=personas.supervisor, reason="It was the competitor's offer")
    outcome.refresh_from_db()
    assert outcome.state == LeadOutcome.State.RETURNED
    assert Notification.objects.filter(recipient=personas.agent, kind="leads_returned").count() == 1
    with pytest.raises(ValidationError):  # not pending: cannot be confirmed as it stands
        services.lead_confirm(outcome=outcome, by=personas.supervisor)
    with pytest.raises(ValidationError):  # only the recorder corrects it
        services.lead_resubmit(outcome=outcome, by=personas.agent2, reason="competitor", customer_words="x")
    services.lead_resubmit(outcome=outcome, by=personas.agent, reason="competitor", customer_words="别家送货快")
    services.lead_confirm(outcome=outcome, by=personas.supervisor)
    assert selectors.loss_analysis(selectors.confirmed(), tz=TZ)["by_reason"][0]["code"] == "competitor"


def test_a_ticket_that_cannot_move_records_nothing(personas, make_ticket):
    from tickets.services import ticket_transition

    ticket = make_ticket()
    ticket_transition(ticket=ticket, to_status="cancelled", actor=personas.agent, reason="duplicate", now=T0)
    with pytest.raises(ValidationError) as exc:
        _record(ticket, personas.agent)
    assert "cannot be closed or cancelled" in str(exc.value)
    assert not LeadOutcome.objects.exists()


def test_a_resolved_ticket_is_closed(personas, make_ticket):
    from tickets.services import ticket_transition

    ticket = make_ticket(kind="repair")
    ticket_transition(ticket=ticket, to_status="resolved", actor=personas.agent, now=T0)
    _record(ticket, personas.agent, reason="technical")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED


def test_rules_refuse_bad_outcomes(personas, make_ticket):
    ticket = make_ticket()
    with pytest.raises(ValidationError):
        _record(ticket, personas.agent, outcome="invalid", reason="price")  # a lost reason on an invalid lead
    with pytest.raises(ValidationError):
        _record(ticket, personas.agent, customer_words="   ")
    with pytest.raises(ValidationError):
        _record(ticket, personas.agent2)  # not theirs
    with pytest.raises(ValidationError):
        _record(make_ticket(kind="complaint"), personas.agent)
    _record(ticket, personas.agent)
    with pytest.raises(ValidationError):
        _record(ticket, personas.supervisor)
    assert LeadOutcome.objects.count() == 1


def test_a_team_supervisor_field_naming_someone_who_may_not_confirm_asks_the_managers(personas, team):
    # the team's supervisor field points at an agent (moved out of the supervisors): the bell's page would be 403
    team.supervisor = personas.agent2
    team.save(update_fields=["supervisor"])
    manager = personas.manager  # created on first use
    assert services.confirmers_for(personas.agent) == [manager]


def test_a_reopened_ticket_voids_its_confirmed_outcome_and_it_stops_counting(personas, make_ticket):
    from tickets.services import ticket_transition

    # given a repair request resolved, recorded as lost (which closes it) and confirmed: it counts
    ticket = make_ticket(kind="repair", product="Heater")
    ticket_transition(ticket=ticket, to_status="resolved", actor=personas.agent, now=T0)
    outcome = _record(ticket, personas.agent)
    services.lead_confirm(outcome=outcome, by=personas.supervisor, now=T0 + timedelta(hours=2))
    assert _counted() == 1
    # when the customer comes back and the ticket is reopened
    ticket.refresh_from_db()
    ticket_transition(ticket=ticket, to_status="reopened", actor=personas.agent2, now=T0 + timedelta(days=1))
    # then the outcome is voided, no longer counts, and keeps its history and confirmation
    outcome.refresh_from_db()
    assert outcome.state == LeadOutcome.State.VOIDED and outcome.confirmed_by == personas.supervisor
    assert _counted() == 0
    events = list(LeadEvent.objects.filter(outcome=outcome))
    assert [e.action for e in events] == ["recorded", "confirmed", "voided"]
    assert events[-1].actor == personas.agent2 and events[-1].detail["before"] == "confirmed"
    # and the request is offered again in the open-requests picker
    assert ticket in selectors.open_requests(user=personas.agent, mine=True)


def test_a_voided_outcome_can_be_recorded_again_when_the_request_ends_again(personas, make_ticket):
    from tickets.services import ticket_transition

    ticket = make_ticket(kind="repair")
    ticket_transition(ticket=ticket, to_status="resolved", actor=personas.agent, now=T0)
    outcome = _record(ticket, personas.agent)  # pending, not yet confirmed
    ticket.refresh_from_db()
    ticket_transition(ticket=ticket, to_status="reopened", actor=None, now=T0 + timedelta(days=1))
    outcome.refresh_from_db()
    assert outcome.state == LeadOutcome.State.VOIDED
    assert LeadEvent.objects.get(outcome=outcome, action="voided").actor is None  # the system reopened it
    # the request ends again and is recorded again: the same row, pending once more, history kept
    ticket.refresh_from_db()
    ticket_transition(ticket=ticket, to_status="resolved", actor=personas.agent, now=T0 + timedelta(days=2))
    again = services.lead_record(ticket=ticket, by=personas.agent, outcome="invalid", reason="not_planning",
                                 customer_words="不买了", now=T0 + timedelta(days=2, hours=1))
    assert again.pk == outcome.pk and again.state == LeadOutcome.State.PENDING and again.outcome == "invalid"
    assert list(LeadEvent.objects.filter(outcome=outcome).values_list("action", flat=True)) == [
        "recorded", "voided", "recorded"]
    services.lead_confirm(outcome=again, by=personas.supervisor, now=T0 + timedelta(days=3))
    assert _counted() == 1
