"""bench_api runs end to end on a small data set and prints its JSON line."""
import json
from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_bench_api_small(settings):
    out = StringIO()
    call_command("bench_api", n=300, customers=100, requests=5, batch=100, stdout=out, stderr=StringIO())
    result = json.loads(out.getvalue().strip().splitlines()[-1])
    assert result["customers"] == 100 and result["requests"] == 5
    for case in ("phone_full", "phone_typed", "phone_suffix", "tickets_page1", "tickets_page2", "tickets_status",
                 "tickets_customer", "tickets_assignee"):
        assert result[case]["median_ms"] > 0 and result[case]["queries"] <= 6, (case, result[case])
    # the screen-pop cases: a ring through the API, the desk's poll unchanged and with the card
    assert result["pop_unchanged"]["queries"] <= 4 and result["pop_card"]["queries"] <= 12, result
    assert result["call_ringing"]["median_ms"] > 0
