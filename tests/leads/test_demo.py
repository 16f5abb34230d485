"""The demo loaders of leads and improvement add a little, and a second load adds nothing."""
import pytest

from improvement.models import ActionCarryOver, ImprovementAction
from leads.models import LeadOutcome

pytestmark = pytest.mark.django_db


def test_leads_demo_records_this_runs_tickets_only(personas, make_ticket):
    from leads import demo

    ids = {make_ticket().pk for _ in range(4)}
    demo.load(options={"demo_tickets": ids})
    assert LeadOutcome.objects.count() == 3
    assert LeadOutcome.objects.filter(state="confirmed").count() == 2
    demo.load(options={"demo_tickets": set()})  # a second load makes no tickets
    assert LeadOutcome.objects.count() == 3


def test_improvement_demo_fills_the_register_once(personas):
    from improvement import demo

    personas.agent, personas.agent2, personas.supervisor, personas.manager  # noqa: B018 — the demo's people
    demo.load()
    assert ImprovementAction.objects.count() == 3
    assert ActionCarryOver.objects.count() == 1
    demo.load()
    assert ImprovementAction.objects.count() == 3
