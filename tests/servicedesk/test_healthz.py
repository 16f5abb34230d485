"""/healthz and `manage.py doctor`: one test per failure it reports (issue 12 §4)."""
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from servicedesk.models import OutboxMessage, PeriodicJob
from tests.conftest import point_broker

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


@pytest.fixture
def beat_alive():
    now = timezone.now()
    for name in ("sla-sweep", "outbox-sweep"):
        PeriodicJob.objects.create(name=name, last_slot=now, last_started_at=now - timedelta(seconds=30),
                                   last_finished_at=now - timedelta(seconds=29), runs=1)


def _get(client):
    r = client.get("/healthz")
    return r.status_code, json.loads(r.content)


def test_all_well_is_200_json_without_login_or_secrets(client, beat_alive, settings,
                                                       django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        status, body = _get(client)
    assert status == 200 and body["status"] == "ok", body
    assert set(body["checks"]) == {"database", "cache", "broker", "sweeps", "outbox", "sla"}
    assert 30 <= body["checks"]["sweeps"]["jobs"]["sla-sweep"]["last_run_age_s"] <= 40
    text = json.dumps(body)
    for secret in (settings.SECRET_KEY, settings.DATABASES["default"]["NAME"], "redis://", "postgres://", "password"):
        assert str(secret) not in text


def test_beat_down_is_503(client, beat_alive):
    PeriodicJob.objects.filter(name="outbox-sweep").update(last_started_at=timezone.now() - timedelta(minutes=6))
    status, body = _get(client)
    assert status == 503 and body["checks"]["sweeps"]["ok"] is False
    assert body["checks"]["sweeps"]["jobs"]["outbox-sweep"]["ok"] is False
    assert body["checks"]["sweeps"]["jobs"]["sla-sweep"]["ok"] is True


def test_old_undelivered_message_is_503(client, beat_alive):
    from servicedesk.outbox import outbox_add

    outbox_add(kind="test", channel="email", to="a@example.com", body="b", now=timezone.now() - timedelta(minutes=10))
    status, body = _get(client)
    assert status == 200 and body["checks"]["outbox"]["oldest_undelivered_age_s"] >= 600
    OutboxMessage.objects.update(created_at=timezone.now() - timedelta(minutes=16))
    status, body = _get(client)
    assert status == 503 and body["checks"]["outbox"]["ok"] is False


def test_sla_clocks_due_but_not_swept_is_503(client, beat_alive, personas, customer_factory):
    from tickets.services import ticket_create

    ticket_create(customer=customer_factory(), kind="repair", subject="Leak", created_by=personas.frontdesk,
                  channel="phone", priority=2, now=timezone.now() - timedelta(hours=30))
    status, body = _get(client)
    assert status == 503 and body["checks"]["sla"]["due_unswept"] >= 1
    from sla.services import sla_sweep

    sla_sweep()
    # (the customer's acknowledgement, written 30 hours ago, is an old undelivered message too)
    from servicedesk.outbox import outbox_deliver

    outbox_deliver()
    status, body = _get(client)
    assert status == 200 and body["checks"]["sla"]["due_unswept"] == 0


def test_broker_unreachable_is_503(client, beat_alive):
    from servicedesk.celery import app

    old = app.conf.broker_url
    point_broker(app, "redis://127.0.0.1:1/0")
    try:
        status, body = _get(client)
    finally:
        point_broker(app, old)
    assert status == 503 and body["checks"]["broker"] == {"ok": False, "error": body["checks"]["broker"]["error"],
                                                          "ms": body["checks"]["broker"]["ms"]}
    assert body["checks"]["broker"]["ms"] < 2000


def test_cache_unreachable_is_503(client, beat_alive, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0",
                                   "OPTIONS": {"socket_connect_timeout": 0.5}}}
    status, body = _get(client)
    assert status == 503 and body["checks"]["cache"]["ok"] is False


def test_database_unreachable_doctor_says_so(tmp_path):
    env = {**os.environ, "DATABASE_URL": "postgres://postgres@127.0.0.1:1/nothing", "PYTHONPATH": str(ROOT),
           "SERVICEDESK_VAR_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "manage.py", "doctor"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1
    assert "FAIL database" in done.stdout and "Status: FAIL" in done.stdout


def test_doctor_prints_the_same_for_a_person(beat_alive, capsys):
    call_command("doctor")
    out = capsys.readouterr().out
    assert "ok   database" in out and "last run: sla-sweep" in out and " s ago" in out and "Status: OK" in out
