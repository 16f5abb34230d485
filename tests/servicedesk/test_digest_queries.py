"""The daily digest costs a fixed number of queries, whatever the number of people it goes to."""
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from servicedesk.digests import notification_digests_send
from servicedesk.models import Notification, NotificationDigest, OutboxMessage, StaffProfile

pytestmark = pytest.mark.django_db


def _people_with_waiting_digests(names):
    users = []
    for i, name in enumerate(names):
        user = get_user_model().objects.create_user(name, email=f"{name}@example.com")
        StaffProfile.objects.create(user=user, language="zh-hans" if i % 2 else "en")
        Notification.objects.bulk_create(
            Notification(recipient=user, message=f"note {n}", url=f"/kb/{n}/", kind="knowledge_review",
                         channel="digest") for n in range(3))
        users.append(user)
    return users


def _digest_queries(now):
    with CaptureQueriesContext(connection) as ctx:
        sent = notification_digests_send(now=now)
    return sent, len(ctx.captured_queries)


def test_the_digest_for_4_people_costs_no_more_queries_than_for_1():
    # given one person with three notifications waiting for today's digest
    _people_with_waiting_digests(["solo"])
    one_sent, one = _digest_queries(timezone.now() + timedelta(minutes=1))
    # and tomorrow four others with three each
    _people_with_waiting_digests(["p1", "p2", "p3", "p4"])
    four_sent, four = _digest_queries(timezone.now() + timedelta(days=1))
    # then each got one digest e-mail listing their three notifications
    assert (one_sent, four_sent) == (1, 4)
    assert list(NotificationDigest.objects.values_list("count", flat=True)) == [3] * 5
    assert OutboxMessage.objects.filter(kind="notification.digest").count() == 5
    assert not Notification.objects.filter(digested_at__isnull=True).exists()
    # and four people cost what one did
    assert four == one


def test_a_person_already_sent_today_waits_for_tomorrow_while_the_others_get_theirs():
    # given two people, one of whom already had today's digest
    first, second = _people_with_waiting_digests(["first", "second"])
    now = timezone.now() + timedelta(minutes=1)
    NotificationDigest.objects.create(user=first, day=timezone.localdate(now), count=1, sent_at=now)
    # when the digest runs
    assert notification_digests_send(now=now) == 1
    # then only the second person's notifications were sent; the first's wait
    assert OutboxMessage.objects.get(kind="notification.digest").to == "second@example.com"
    assert Notification.objects.filter(recipient=first, digested_at__isnull=True).count() == 3
    assert not Notification.objects.filter(recipient=second, digested_at__isnull=True).exists()
