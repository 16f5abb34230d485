"""Celery's part with real parts: two real workers over Redis take eight queued offer-timeout sweeps;
the offer expires once, the job moves to the next technician once, the supervisor is told once."""
import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from dispatch import services
from dispatch.models import Escalation, Offer
from servicedesk.models import Notification
from tests.conftest import service_missing


def _wait_for(predicate, timeout=90):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def _test_database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def two_workers():
    """Two real Celery workers in their own processes (a worker thread inside the pytest process can
    hang on shutdown in a blocking Redis read once Playwright's browser has run in the session)."""
    url = os.environ.get("REDIS_URL")
    if not url:
        service_missing("REDIS_URL not set: the real-worker test needs Redis (e.g. redis://127.0.0.1:6379/5)")
    from servicedesk.celery import app

    with app.connection_for_write(url) as conn:  # a clean queue: no leftovers from earlier runs
        conn.default_channel.queue_purge(app.conf.task_default_queue)
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "CELERY_BROKER_URL": url, "REDIS_URL": url}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "servicedesk", "worker", "--pool=solo", "-n", f"dispatch-test-{i}@%h",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=WARNING"],
            cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for i in range(2)
    ]
    old_broker, old_eager = app.conf.broker_url, app.conf.task_always_eager
    app.conf.task_always_eager = False
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield app
    finally:
        app.conf.broker_url, app.conf.task_always_eager = old_broker, old_eager
        app._pool = None
        app.amqp._producer_pool = None
        for proc in procs:
            proc.terminate()  # warm shutdown: finish the task in hand, then exit
        for proc in procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_real_workers_expire_an_offer_exactly_once(two_workers, wo_factory, tech_factory, personas):
    from dispatch.tasks import offers_expire_due

    # given an offer made 31 minutes ago (timeout 30) and a second eligible technician
    supervisor = personas.supervisor
    then = timezone.now() - timedelta(minutes=31)
    first = tech_factory("aaa")
    second = tech_factory("bbb", last_assigned_at=then)
    wo = wo_factory(now=then, start=timezone.now() + timedelta(hours=3))
    services.workorder_auto_dispatch(work_order=wo, now=then)
    assert Offer.objects.get(work_order=wo).technician == first
    # when beat queues the sweep eight times and two workers race for them
    for _ in range(8):
        offers_expire_due.delay()
    # then the offer expired once and the job was offered to the next technician once
    assert _wait_for(lambda: Offer.objects.filter(work_order=wo, technician=second).exists())
    time.sleep(3)  # let the remaining queued sweeps run
    assert list(Offer.objects.filter(work_order=wo).order_by("pk").values_list("technician", "answer")) == [
        (first.pk, "expired"), (second.pk, "pending")]
    assert Escalation.objects.filter(work_order=wo, reason="not_accepted").count() == 1
    assert Notification.objects.filter(recipient=supervisor, message__contains=wo.number).count() == 1
