"""The demo loader: a few slips and one day's sample, and nothing twice."""
import pytest
import time_machine

from quality.models import DailySample, DemeritSlip, Finding

from .conftest import at

pytestmark = pytest.mark.django_db


def test_demo_is_small_and_idempotent(personas, make_ticket):
    from io import StringIO

    from quality import demo

    for name in ("frontdesk", "agent", "agent2", "supervisor", "manager"):
        personas.by_role(name)
    make_ticket(opened_at=at(2026, 3, 19, 9), resolve_at=at(2026, 3, 19, 16))
    with time_machine.travel(at(2026, 3, 20, 8), tick=False):
        demo.load(stdout=StringIO())
        demo.load(stdout=StringIO())
    assert DemeritSlip.objects.count() == 3
    assert DemeritSlip.objects.filter(withdrawn_at__isnull=False).count() == 1
    assert DailySample.objects.count() == 1
    assert Finding.objects.count() == 1
