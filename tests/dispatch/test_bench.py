"""Smoke test of bench_dispatch with tiny numbers: it builds, measures and ends with a JSON line."""
import json
from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_bench_dispatch_smoke(personas):
    out = StringIO()
    call_command("bench_dispatch", n=60, technicians=12, runs=4, stdout=out)
    figures = json.loads(out.getvalue().strip().splitlines()[-1])
    assert figures["technicians"] == 12 and figures["open_work_orders"] == 60 and figures["runs"] == 4
    assert figures["decision_queries"] == [4]  # settings, peak seasons, technicians, contenders' load
    assert len(figures["auto_dispatch_queries"]) == 1  # the same number for every decision
    assert figures["decision_median_ms"] > 0
