"""bench_mailin runs end to end on a throw-away dovecot and ends with its JSON line."""
import io
import json

import pytest
from django.core.management import call_command

from mailin.testserver import DOVECOT

pytestmark = pytest.mark.django_db


def test_bench_mailin_smoke(imap_server_session):
    assert DOVECOT
    out = io.StringIO()
    call_command("bench_mailin", n=6, stdout=out)
    result = json.loads(out.getvalue().strip().splitlines()[-1])
    assert result["messages"] == 6 and result["outcomes"] == {"created": 6}
    assert result["messages_per_minute"] > 0 and result["queries_per_message"] > 0
