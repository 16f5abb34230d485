"""Smoke test of bench_maintenance with tiny numbers: it builds, sweeps idle and busy, ends with JSON."""
import json
from io import StringIO

import pytest
from django.core.management import call_command

from maintenance.models import MaintenanceVisit

pytestmark = pytest.mark.django_db


def test_bench_maintenance_smoke():
    out = StringIO()
    call_command("bench_maintenance", n=200, due=12, batch=5, stdout=out)
    text = out.getvalue()
    figures = json.loads(text.strip().splitlines()[-1])
    # 200 assets: 20 customers with 10 each, one plan per customer covering its assets
    assert (figures["assets"], figures["customers"], figures["plans"], figures["due"]) == (200, 20, 20, 12)
    assert figures["idle_visits"] == 0 and figures["due_visits"] == 12 and figures["due_dispatch_decisions"] == 12
    # (whether the probe uses the index is the planner's choice at 20 rows; the 1M run shows it does)
    # the system user and one probe per sweep (plus the test transaction's savepoints): no scan of the plans
    assert figures["idle_queries"] <= 7
    assert "Sweep probe" in text
    assert not MaintenanceVisit.objects.exists()  # the busy phase was rolled back
