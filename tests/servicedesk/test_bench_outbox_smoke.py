"""bench_outbox at a tiny size: it drains everything with two processes, once each, and ends with JSON."""
import json
from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_bench_outbox_smoke():
    out = StringIO()
    call_command("bench_outbox", n=200, stdout=out)
    result = json.loads(out.getvalue().strip().splitlines()[-1])
    assert result["delivered"] == result["claimed"] == 200
    assert result["idle_plan_uses_index"] is True
