import io
import json

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_bench_search_smoke_and_rerun_adds_nothing():
    out = io.StringIO()
    call_command("bench_search", n=40, queries=5, view_sample=2, tickets=10, stdout=out, stderr=io.StringIO())
    figures = json.loads(out.getvalue().strip().splitlines()[-1])
    assert figures["customers"] == 40
    for kind in ("phone_full", "phone_prefix", "phone_suffix4", "name", "chinese_name", "ticket_number"):
        assert figures["kinds"][kind]["n"] == 5
        assert figures["kinds"][kind]["queries"][0] <= 3
    assert figures["kinds"]["phone_full"]["hits_per_query"] == 1.0
    assert figures["kinds"]["ticket_number"]["hits_per_query"] == 1.0
    assert figures["kinds"]["phone_suffix4"]["hits_per_query"] >= 1.0  # the sampled number itself, at least
    # rerun: the batch is already there
    out2 = io.StringIO()
    call_command("bench_search", n=40, queries=2, view_sample=1, tickets=10, stdout=out2, stderr=io.StringIO())
    assert json.loads(out2.getvalue().strip().splitlines()[-1])["customers"] == 40
