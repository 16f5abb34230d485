"""The transactional outbox: written with its cause, delivered once by claim → send → mark."""
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from servicedesk.models import Notification, OutboxMessage
from servicedesk.outbox import backoff, outbox_add, outbox_deliver, outbox_retry, outbox_sweep
from servicedesk.services import notify, notify_many

S = OutboxMessage.Status


@pytest.fixture
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []


@pytest.mark.django_db
def test_notification_email_is_an_outbox_row_of_the_same_transaction(personas, locmem):
    agent = personas.agent
    agent.email = "agent@example.com"
    agent.save()
    # when the cause rolls back, so does the message
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(recipient=agent, message="Breach on SR-1", url="/tickets/1/", email=True)
        raise RuntimeError("rollback")
    assert not OutboxMessage.objects.exists() and not Notification.objects.exists()
    # when it commits, the row is there and points at the bell entry
    n = notify(recipient=agent, message="Breach on SR-1", url="/tickets/1/", email=True)
    row = OutboxMessage.objects.get()
    assert (row.kind, row.to, row.source_type, row.source_id) == ("notification.email", "agent@example.com",
                                                                   "servicedesk.notification", n.pk)
    assert "/tickets/1/" in row.body


@pytest.mark.django_db
def test_no_email_address_no_row(personas, locmem):
    notify_many([(personas.agent, "x", "")], email=True)
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_deliver_sends_once_and_marks(personas, locmem):
    # given a message whose fast path already ran (eager Celery in tests)
    agent = personas.agent
    agent.email = "agent@example.com"
    agent.save()
    n = notify(recipient=agent, message="Warning", url="", email=True)
    row = OutboxMessage.objects.get()
    assert row.status == S.SENT and row.attempts == 1 and len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["X-Idempotency-Key"] == row.idempotency_key
    n.refresh_from_db()
    assert n.emailed_at == row.sent_at
    # when the task or the sweep runs again
    assert outbox_deliver(message_ids=[row.pk])["claimed"] == 0
    assert outbox_sweep()["claimed"] == 0
    # then nothing more was sent
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_failure_backs_off_then_gives_up_and_a_manager_retries(personas, settings, locmem):
    settings.EMAIL_BACKEND = "tests.tickets.broken_mail.Backend"
    settings.OUTBOX_MAX_ATTEMPTS = 3
    now = timezone.now()
    row = outbox_add(kind="test", channel="email", to="a@example.com", body="b", now=now)
    # first attempt (the fast path is on commit: in this test's transaction it has not run)
    assert outbox_deliver(now=now)["failed"] == 1
    row.refresh_from_db()
    assert row.status == S.PENDING and row.next_attempt_at == now + backoff(1) and "SMTP down" in row.last_error
    # not due yet: the sweep leaves it alone
    assert outbox_sweep(now=now + timedelta(seconds=30))["claimed"] == 0
    assert outbox_sweep(now=now + backoff(1))["failed"] == 1
    row.refresh_from_db()
    assert row.next_attempt_at == now + backoff(1) + backoff(2) and backoff(2) == 2 * backoff(1)
    assert outbox_sweep(now=row.next_attempt_at)["gave_up"] == 1
    row.refresh_from_db()
    assert row.status == S.FAILED and row.next_attempt_at is None and row.attempts == 3
    assert outbox_sweep(now=now + timedelta(days=1))["claimed"] == 0  # stops after the documented attempts
    # a manager retries once the SMTP server is back
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox_retry(message_id=row.pk, actor=personas.manager, now=now + timedelta(days=1))
    assert outbox_sweep(now=now + timedelta(days=1))["sent"] == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_claimed_row_of_a_dead_worker_is_retried_after_the_lease_with_the_same_key(settings, locmem):
    now = timezone.now()
    row = outbox_add(kind="test", channel="email", to="a@example.com", body="b", now=now)
    # given a worker claimed it and died before marking (simulated: claim without send)
    from servicedesk.outbox import _claim, lease

    _token, claimed = _claim(message_ids=None, batch=10, now=now)
    assert [m.pk for m in claimed] == [row.pk]
    # while the lease runs, nobody else takes it
    assert outbox_sweep(now=now + lease() - timedelta(seconds=1))["claimed"] == 0
    # after it, the sweep sends it, with the row's idempotency key
    assert outbox_sweep(now=now + lease())["sent"] == 1
    assert mail.outbox[0].extra_headers["X-Idempotency-Key"] == row.idempotency_key
    row.refresh_from_db()
    assert row.status == S.SENT and row.attempts == 2


@pytest.mark.django_db
def test_a_late_mark_from_a_worker_whose_lease_expired_does_not_overwrite(settings, locmem):
    from servicedesk.outbox import _claim, _mark, lease

    now = timezone.now()
    row = outbox_add(kind="test", channel="email", to="a@example.com", body="b", now=now)
    old_token, (old,) = _claim(message_ids=None, batch=10, now=now)
    outbox_sweep(now=now + lease())  # a second worker re-claimed and sent it
    assert _mark(old, token=old_token, error="late failure", now=now + lease()) is False
    row.refresh_from_db()
    assert row.status == S.SENT and row.last_error == ""


def test_queuing_with_the_broker_down_returns_at_once_and_logs_once(caplog, settings):
    """Issue 12 §2: no connection retry, a breaker after the first failure, one log line per interval."""
    import logging
    import time

    from servicedesk import queue
    from servicedesk.celery import app
    from servicedesk.tasks import outbox_deliver_task
    from tests.conftest import point_broker

    old = app.conf.broker_url
    app.conf.task_always_eager = False
    point_broker(app, "redis://127.0.0.1:1/0")
    queue.reset()
    try:
        queue._publish(outbox_deliver_task, ([0],), {})  # the process's first publish also loads kombu/redis
        queue.reset()
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="servicedesk.queue"):
            started = time.perf_counter()
            results = [queue._publish(outbox_deliver_task, ([i],), {}) for i in range(100)]
            took = time.perf_counter() - started
        assert not any(results)
        assert took < 0.2, took
        assert len([r for r in caplog.records if r.name == "servicedesk.queue"]) == 1
        assert queue.broker_unavailable()
    finally:
        point_broker(app, old)
        queue.reset()
        app.conf.task_always_eager = True


@pytest.mark.django_db
def test_new_keys_are_unique_hex_and_sort_in_the_order_they_were_made():
    """Idempotency keys go at the end of their unique index (issue 14): 32 hexadecimal characters,
    the time first, so each key made later sorts after the earlier ones."""
    import re
    import time

    from servicedesk.outbox import new_key

    keys = []
    for _ in range(200):
        keys.append(new_key())
        time.sleep(0.00001)
    assert all(re.fullmatch(r"[0-9a-f]{32}", k) for k in keys)
    assert len(set(keys)) == len(keys)
    assert keys == sorted(keys)
    # and the outbox gives one to each message that brings none
    made = outbox_add(kind="test", channel=OutboxMessage.Channel.EMAIL, to="a@example.com", body="b")
    assert re.fullmatch(r"[0-9a-f]{32}", made.idempotency_key)
