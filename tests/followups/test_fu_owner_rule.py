"""Callbacks go to people who can work them (issue 11 item 2): the documented owner rule, and a
clear refusal when a person assigns one to someone whose role cannot open callbacks."""
import pytest
from django.core.exceptions import ValidationError

from followups.models import Callback
from followups.services import callback_schedule_manual
from servicedesk.models import StaffProfile, Team
from tests.followups.fu_helpers import at

pytestmark = pytest.mark.django_db


def test_refuses_an_owner_who_cannot_work_callbacks(personas, customer_factory):
    customer = customer_factory()
    for person in (personas.frontdesk, personas.technician):
        with pytest.raises(ValidationError) as exc:
            callback_schedule_manual(customer=customer, due_at=at(2026, 11, 30), actor=personas.supervisor,
                                     owner=person, now=at(2026, 11, 20))
        assert "cannot own a callback" in exc.value.messages[0]
    assert not Callback.objects.exists()


def test_owner_rule_assignee_then_least_loaded_team_agent_then_supervisor(make_ticket, personas, customer_factory):
    team = Team.objects.create(name="Repairs", supervisor=personas.supervisor)
    for person in (personas.agent, personas.agent2, personas.frontdesk):
        StaffProfile.objects.update_or_create(user=person, defaults={"team": team})
    # 1. the ticket's assignee, when an agent
    t1 = make_ticket(resolve_at=at(2026, 11, 18, 15), team=team)
    assert Callback.objects.get(ticket=t1).owner == personas.agent
    # 2. no assignee, customer owned by the front desk: the team's agent with the fewest open callbacks
    t2 = make_ticket(resolve_at=at(2026, 11, 18, 16), team=team, assignee=None)
    assert Callback.objects.get(ticket=t2).owner == personas.agent2
    # 3. a team without agents: its supervisor
    lone = Team.objects.create(name="Install", supervisor=personas.supervisor)
    t3 = make_ticket(resolve_at=at(2026, 11, 18, 17), team=lone, assignee=None)
    assert Callback.objects.get(ticket=t3).owner == personas.supervisor
