"""The hourly report beat reads deliveries and languages once per run, not once per subscription."""
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.models import ReportDelivery
from reports.services import deliveries_send_due, subscription_create
from servicedesk.models import StaffProfile

from .conftest import L

pytestmark = pytest.mark.django_db


def _subscribers(n, *, start, manager):
    for i in range(start, start + n):
        user = get_user_model().objects.create_user(f"sub{i}", email=f"sub{i}@example.com")
        StaffProfile.objects.create(user=user, language="zh-hans" if i % 2 else "en")
        subscription_create(user=user, frequency="day", sections=["tickets"], created_by=manager, now=L(11, 1, 9))


def _queries(now):
    with CaptureQueriesContext(connection) as ctx:
        deliveries_send_due(now=now)
    return ctx.captured_queries


def test_an_hour_with_everything_already_sent_costs_the_same_for_2_or_8_subscriptions(personas):
    # given two subscriptions whose report for 1 December is already queued
    _subscribers(2, start=0, manager=personas.manager)
    deliveries_send_due(now=L(12, 2, 1))
    # when the beat runs again
    few = len(_queries(L(12, 2, 2)))
    # and six more subscriptions, also already served, are added
    _subscribers(6, start=2, manager=personas.manager)
    deliveries_send_due(now=L(12, 2, 3))
    assert ReportDelivery.objects.count() == 8
    many = len(_queries(L(12, 2, 4)))
    # then the number of queries did not grow with the subscriptions
    assert many == few


def test_subscribers_languages_are_read_in_one_query(personas):
    # given five subscribers in two languages, all due
    _subscribers(5, start=0, manager=personas.manager)
    # when the beat queues their reports
    queries = _queries(L(12, 2, 1))
    # then every report was queued, and the languages were read once, not per subscriber
    assert ReportDelivery.objects.count() == 5
    profile_reads = [q for q in queries if "servicedesk_staffprofile" in q["sql"] and q["sql"].startswith("SELECT")]
    assert len(profile_reads) == 1
