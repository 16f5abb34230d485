"""A real Celery worker over Redis sends replies enqueued on commit; a failed send keeps the reply."""
import os
import time

import pytest
from django.core import mail

from tests.conftest import service_missing
from tickets.models import TicketReply
from tickets.services import ticket_create, ticket_reply


@pytest.fixture
def real_worker(settings):
    url = os.environ.get("REDIS_URL")
    if not url:
        service_missing("REDIS_URL not set: the real-worker test needs Redis")
    from celery.contrib.testing.worker import start_worker

    from servicedesk.celery import app

    app.conf.task_always_eager = False
    old = app.conf.broker_url
    app.conf.broker_url = url
    app.conf.result_backend = None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
            yield app
    finally:
        app.conf.broker_url = old
        app.conf.task_always_eager = True


def _wait_for(predicate, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_worker_emails_reply_after_commit(real_worker, customer_factory, personas):
    # given
    mail.outbox = []
    ticket = ticket_create(customer=customer_factory(email="kh@example.com"), kind="repair", subject="Noise",
                           created_by=personas.frontdesk)
    # when (autocommit: the on-commit hook fires at once and publishes to Redis)
    reply = ticket_reply(ticket=ticket, author=personas.agent, body="Technician comes at 3 pm", public=True)
    # then the worker, not this thread, sends it
    assert _wait_for(lambda: TicketReply.objects.get(pk=reply.pk).delivery_status == "sent")
    assert [m.to for m in mail.outbox] == [["kh@example.com"]]


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_worker_failure_keeps_reply_for_retry(real_worker, customer_factory, personas, settings):
    settings.EMAIL_BACKEND = "tests.tickets.broken_mail.Backend"
    ticket = ticket_create(customer=customer_factory(email="kh@example.com"), kind="repair", subject="Noise",
                           created_by=personas.frontdesk)
    reply = ticket_reply(ticket=ticket, author=personas.agent, body="Answer", public=True)
    assert _wait_for(lambda: TicketReply.objects.get(pk=reply.pk).delivery_status == "failed")
    reply.refresh_from_db()
    assert reply.body == "Answer" and reply.next_attempt_at is not None and "SMTP down" in reply.last_error
