"""bench_contracts at a tiny size: it builds, sweeps with nothing due and with some due, and ends with one JSON line."""
import json
from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_bench_contracts_smoke():
    out = StringIO()
    call_command("bench_contracts", n=40, due=6, requests=2, stdout=out)
    text = out.getvalue()
    figures = json.loads(text.strip().splitlines()[-1])
    assert figures["n"] == 40 and figures["due"] == 6 and figures["open_tasks"] == 6
    steps = list(figures["steps"].values())
    assert steps[0]["result"]["task"] == 0 and steps[1]["result"]["task"] == 6 and steps[2]["result"]["task"] == 0
    assert "EXPLAIN" in text
    # nothing due: one probe per rule (in its savepoint) plus the rules and the people who may receive tasks
    assert steps[0]["queries"] <= 24
    # a second run on the same database tops up nothing and starts again from "nothing due"
    out = StringIO()
    call_command("bench_contracts", n=40, due=6, requests=2, stdout=out)
    again = json.loads(out.getvalue().strip().splitlines()[-1])
    assert again["open_tasks"] == 6 and list(again["steps"].values())[1]["result"]["task"] == 6
