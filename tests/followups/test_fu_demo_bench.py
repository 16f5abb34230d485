"""The demo loader is deterministic and idempotent; the benchmark runs (tiny n) and ends with JSON."""
import io
import json

import pytest
from django.core.management import call_command

from followups.models import Callback, SatisfactionRollup, SurveyInvitation, SurveyResponse

from .fu_helpers import at

pytestmark = pytest.mark.django_db


def test_demo_is_idempotent(make_ticket, customer_factory, personas):
    from followups import demo

    personas.agent, personas.agent2, personas.supervisor, personas.technician  # noqa: B018 - the demo staff
    for i in range(6):
        make_ticket(customer=customer_factory(), resolve_at=at(2026, 11, 2 + i, 15))
    out = io.StringIO()
    demo.load(stdout=out, options={})
    counts = (Callback.objects.count(), SurveyInvitation.objects.count(), SurveyResponse.objects.count())
    assert counts[2] > demo.HISTORY * 0.5  # the year of history is there
    assert SatisfactionRollup.objects.filter(dimension="all").count() >= 12
    demo.load(stdout=out, options={})
    assert (Callback.objects.count(), SurveyInvitation.objects.count(), SurveyResponse.objects.count()) == counts


def test_bench_smoke():
    out = io.StringIO()
    call_command("bench_surveys", n=300, runs=2, stdout=out)
    figures = json.loads(out.getvalue().strip().splitlines()[-1])
    assert figures["answers"] == 300 and figures["bench"] == "surveys"
    assert len(figures["queries"]) == 1  # the same number of queries on every run
