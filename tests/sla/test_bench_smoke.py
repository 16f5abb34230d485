"""bench_sla at a tiny size: it builds, measures, proves exactly-once and ends with one JSON line."""
import json
from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_bench_sla_smoke(settings):
    # The bench clears the dashboard's cache (all of it on Redis, which has no pattern delete): a private one,
    # so the other test workers' cached keys stay.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "bench-sla"}}
    out = StringIO()
    call_command("bench_sla", n=60, due=3, breaches=2, stdout=out)
    figures = json.loads(out.getvalue().strip().splitlines()[-1])
    assert figures["n"] == 60 and figures["clocks"] == 120 and figures["open_clocks"] == 12
    assert figures["sweep_idle_queries"] == 3  # claim nothing, lock nothing: one probe of the due index
    assert figures["sweep_warnings_n"] == 3 and figures["sweep_breaches_n"] == 2
    # 19: + the callbacks panel; compliance, trend and breaches each add the running clocks past their
    # deadline not yet swept (one indexed query each) to the rollup: one definition of "missed".
    assert figures["dashboard_queries"] <= figures["dashboard_cold_queries"] <= 19
