"""Scheduled report emails: managed by managers, sent exactly once per period, no flood after downtime."""
import threading

import pytest
import time_machine
from django.core import mail
from django.db import connection

from reports.models import ReportDelivery, ReportSubscription
from reports.services import deliveries_send_due as _queue_due
from reports.services import subscription_create
from servicedesk.outbox import outbox_sweep

from .conftest import L

pytestmark = pytest.mark.django_db


@pytest.fixture
def recipient(personas):
    user = personas.supervisor
    user.email = "sup@example.com"
    user.save()
    return user


def test_manager_subscribes_someone(client_for, recipient):
    r = client_for("manager").post("/reports/subscriptions/", {
        "user": recipient.pk, "frequency": "week", "sections": ["tickets", "sla"]})
    assert r.status_code == 302
    sub = ReportSubscription.objects.get()
    assert (sub.user, sub.frequency, sub.sections) == (recipient, "week", ["tickets", "sla"])
    # The same person at the same frequency again: a clear form error, no 500.
    r = client_for("manager").post("/reports/subscriptions/", {
        "user": recipient.pk, "frequency": "week", "sections": ["tickets"]})
    assert r.status_code == 200 and "already receives" in r.content.decode()
    assert client_for("supervisor").post("/reports/subscriptions/", {}).status_code == 403
    assert client_for("supervisor").post(f"/reports/subscriptions/{sub.pk}/delete/").status_code == 403
    client_for("manager").post(f"/reports/subscriptions/{sub.pk}/delete/")
    assert not ReportSubscription.objects.exists()


def test_daily_report_sent_exactly_once(month_data, recipient, personas):
    sub = subscription_create(user=recipient, frequency="day", sections=["contacts", "tickets"],
                              created_by=personas.manager, now=L(11, 1, 9))
    # 2 Dec 01:00 local: the last complete day is 1 December.
    assert deliveries_send_due(now=L(12, 2, 1)) == 1
    assert deliveries_send_due(now=L(12, 2, 2)) == 0  # the beat task runs again: nothing more
    assert len(mail.outbox) == 1
    msg = mail.outbox[0]
    assert msg.to == ["sup@example.com"] and "2026-12-01" in msg.subject
    html = msg.alternatives[0][0]
    assert "Contacts" in html and "Tickets" in html and "Satisfaction" not in html
    d = ReportDelivery.objects.get()
    assert (d.subscription, d.period_start, d.period_end, d.status) == (sub, L(12, 1), L(12, 2), "sent")


def test_weekly_catch_up_after_downtime_sends_latest_period_once(month_data, recipient, personas):
    subscription_create(user=recipient, frequency="week", sections=["tickets"], created_by=personas.manager,
                        now=L(10, 1, 9))
    assert deliveries_send_due(now=L(11, 2, 8)) == 1  # Monday 2 Nov: week 26 Oct – 1 Nov
    # Beat is down for three weeks; on Thursday 26 Nov it comes back.
    assert deliveries_send_due(now=L(11, 26, 8)) == 1  # only week 16–22 Nov, not the two missed before it
    assert deliveries_send_due(now=L(11, 26, 9)) == 0
    starts = sorted(d.period_start for d in ReportDelivery.objects.all())
    assert starts == [L(10, 26), L(11, 16)]
    assert len(mail.outbox) == 2
    html = mail.outbox[1].alternatives[0][0]
    assert "Opened" in html  # tickets figures for that week


def test_monthly_report_figures_in_email(month_data, recipient, personas):
    subscription_create(user=recipient, frequency="month", sections=["tickets"], created_by=personas.manager,
                        now=L(10, 1, 9))
    assert deliveries_send_due(now=L(12, 1, 7)) == 1
    text = mail.outbox[0].body
    assert "Opened: 7 (previous: 2)" in text and "Backlog at period end: 3 (previous: 1)" in text


def test_failed_send_is_retried_then_given_up(month_data, recipient, personas, settings):
    subscription_create(user=recipient, frequency="day", sections=["tickets"], created_by=personas.manager,
                        now=L(11, 1, 9))
    settings.EMAIL_BACKEND = "tests.reports.test_subscriptions.BrokenBackend"
    assert deliveries_send_due(now=L(11, 10, 1)) == 1  # queued; the send failed
    d = ReportDelivery.objects.get()
    assert d.status == "failed" and "SMTP down" in d.error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # nothing new to queue for this period; the outbox sweep (run by the helper) retries the failed one
    assert deliveries_send_due(now=L(11, 10, 2)) == 0
    d = ReportDelivery.objects.get()
    assert (d.status, d.attempts) == ("sent", 2)
    assert deliveries_send_due(now=L(11, 10, 3)) == 0 and outbox_sweep(now=L(11, 10, 3))["claimed"] == 0


def test_new_subscription_does_not_get_old_periods(recipient, personas):
    subscription_create(user=recipient, frequency="month", sections=["tickets"], created_by=personas.manager,
                        now=L(11, 20, 9))
    assert deliveries_send_due(now=L(11, 21, 9)) == 0  # October ended long before the subscription


def deliveries_send_due(*, now):
    """The beat task queues the reports; the outbox sends them (as the fast-path task would)."""
    queued = _queue_due(now=now)
    outbox_sweep(now=now)
    return queued


class BrokenBackend:
    def __init__(self, *a, **kw):
        pass

    def send_messages(self, messages):
        raise OSError("SMTP down")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_beat_runs_send_once(recipient, personas):
    for i in range(3):
        from django.contrib.auth import get_user_model

        u = get_user_model().objects.create_user(f"r{i}", email=f"r{i}@example.com")
        subscription_create(user=u, frequency="day", sections=["tickets"], created_by=personas.manager,
                            now=L(11, 1, 9))
    results, barrier = [], threading.Barrier(4)

    def run():
        try:
            barrier.wait()
            results.append(deliveries_send_due(now=L(11, 10, 1)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    # The clock at the moment the runs pass as `now`: the outbox's fast-path task (queued on commit) reads the
    # real clock, and a send claimed with a lease ending on 10 November looked expired to it on a later date —
    # it claimed the message again while another thread was sending it (one e-mail twice, now and then).
    with time_machine.travel(L(11, 10, 1), tick=True):
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sum(results) == 3 and ReportDelivery.objects.count() == 3
    assert len(mail.outbox) == 3
