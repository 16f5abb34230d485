"""A real Celery worker over Redis runs the weekly review reminder; a duplicate beat tick sends nothing twice."""
import os
import time
from datetime import date

import pytest

from knowledge.models import ReviewReminder
from servicedesk.models import Notification


@pytest.fixture
def real_worker(settings):
    url = os.environ.get("REDIS_URL")
    if not url:
        from tests.conftest import service_missing

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
def test_worker_sends_weekly_reminder_once(real_worker, make_article, personas):
    from knowledge.tasks import review_reminders_send

    # given two overdue articles of one owner
    make_article(title="Old A", review_by=date(2020, 1, 1), owner=personas.agent)
    make_article(title="Old B", review_by=date(2020, 1, 1), owner=personas.agent)
    # when beat's tick is delivered twice (a restart, a duplicate schedule)
    review_reminders_send.delay()
    review_reminders_send.delay()
    # and a third tick after a new overdue article of another owner (the solo worker runs them in order)
    assert _wait_for(lambda: ReviewReminder.objects.count() == 2)
    make_article(title="Old C", review_by=date(2020, 1, 1), owner=personas.supervisor)
    review_reminders_send.delay()
    assert _wait_for(lambda: ReviewReminder.objects.count() == 3)
    # then each owner got exactly one notification for the week
    assert Notification.objects.filter(recipient=personas.agent).count() == 1
    assert Notification.objects.filter(recipient=personas.supervisor).count() == 1
