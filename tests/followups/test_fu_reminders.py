"""Reminders when a callback falls due and the morning digest: each exactly once."""
import threading

import pytest
from django.db import connection
from .fu_helpers import at

from followups import services
from followups.models import Callback, CallbackDigest, CallbackReminder
from servicedesk.models import Notification

pytestmark = pytest.mark.django_db


def reminders_for(user):
    return Notification.objects.filter(recipient=user, message__startswith="Callback due")


def test_reminder_sent_once_when_due_even_if_swept_twice(make_ticket, personas):
    ticket = make_ticket(resolve_at=at(2026, 11, 20, 15))  # callback due Tue 24th 15:00
    assert services.callback_reminders_sweep(now=at(2026, 11, 24, 14, 59)) == 0
    assert services.callback_reminders_sweep(now=at(2026, 11, 24, 15, 0)) == 1
    assert services.callback_reminders_sweep(now=at(2026, 11, 24, 15, 1)) == 0
    assert reminders_for(personas.agent).count() == 1
    cb = Callback.objects.get(ticket=ticket)
    assert cb.next_reminder_at is None
    assert CallbackReminder.objects.get(callback=cb).due_at == at(2026, 11, 24, 15)


def test_a_retry_is_reminded_again_at_its_new_time(make_ticket, personas):
    ticket = make_ticket(resolve_at=at(2026, 11, 20, 15))
    services.callback_reminders_sweep(now=at(2026, 11, 24, 15))
    cb = services.callback_record_attempt(callback=Callback.objects.get(ticket=ticket), actor=personas.agent,
                                          reached=False, now=at(2026, 11, 24, 15, 5))
    assert cb.due_at == at(2026, 11, 25, 10, 5)
    assert services.callback_reminders_sweep(now=at(2026, 11, 25, 10, 5)) == 1
    assert services.callback_reminders_sweep(now=at(2026, 11, 25, 11)) == 0
    assert reminders_for(personas.agent).count() == 2


def test_a_reminder_row_that_exists_is_not_sent_again(make_ticket, personas):
    # e.g. a sweep that inserted the row but died before clearing next_reminder_at
    ticket = make_ticket(resolve_at=at(2026, 11, 20, 15))
    cb = Callback.objects.get(ticket=ticket)
    CallbackReminder.objects.create(callback=cb, due_at=cb.due_at, sent_at=at(2026, 11, 24, 15))
    assert services.callback_reminders_sweep(now=at(2026, 11, 24, 16)) == 0
    assert reminders_for(personas.agent).count() == 0


def test_closed_callbacks_are_not_reminded(make_ticket, personas):
    ticket = make_ticket(resolve_at=at(2026, 11, 20, 15))
    services.callback_record_attempt(callback=Callback.objects.get(ticket=ticket), actor=personas.agent,
                                     reached=True, outcome="satisfied", now=at(2026, 11, 23, 10))
    assert services.callback_reminders_sweep(now=at(2026, 11, 24, 16)) == 0


def test_morning_digest_once_per_owner_per_day(make_ticket, personas, customer_factory):
    for hour in (10, 11):
        make_ticket(resolve_at=at(2026, 11, 20, hour), customer=customer_factory())  # due Tue 24th
    make_ticket(resolve_at=at(2026, 11, 18, 10), customer=customer_factory())  # due Fri 20th: overdue
    make_ticket(resolve_at=at(2026, 11, 24, 10), customer=customer_factory(), assignee="agent2")  # due Thu
    assert services.callback_digests_send(now=at(2026, 11, 24, 8)) == 1
    assert services.callback_digests_send(now=at(2026, 11, 24, 9)) == 0
    digest = CallbackDigest.objects.get(owner=personas.agent)
    assert (str(digest.day), digest.count) == ("2026-11-24", 3)
    assert Notification.objects.filter(recipient=personas.agent, message__contains="3").count() == 1
    assert not Notification.objects.filter(recipient=personas.agent2).exists()
    # next morning: agent2's callback is due that Thursday? not yet (due 26th): agent again only
    assert services.callback_digests_send(now=at(2026, 11, 25, 8)) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_remind_exactly_once(make_ticket, personas, customer_factory):
    for i in range(12):
        make_ticket(resolve_at=at(2026, 11, 20, 15), customer=customer_factory())
    barrier = threading.Barrier(3)
    counts = []

    def sweep():
        try:
            barrier.wait()
            counts.append(services.callback_reminders_sweep(now=at(2026, 11, 24, 16), batch=3))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(counts) == 12
    assert CallbackReminder.objects.count() == 12
    assert reminders_for(personas.agent).count() == 12
