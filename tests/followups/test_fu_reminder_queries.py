"""The reminder sweep (every 5 minutes) costs a fixed number of queries per batch, not per callback."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from followups import services
from followups.models import CallbackReminder
from servicedesk.models import Notification, OutboxMessage

from .fu_helpers import at

pytestmark = pytest.mark.django_db


def _sweep_queries(now):
    with CaptureQueriesContext(connection) as ctx:
        sent = services.callback_reminders_sweep(now=now)
    return sent, len(ctx.captured_queries)


def test_reminding_6_callbacks_costs_no_more_queries_than_reminding_2(make_ticket, personas, customer_factory):
    # given two callbacks due on Tuesday 24th and six due on Wednesday 25th, all owned by the agent
    for _i in range(2):
        make_ticket(resolve_at=at(2026, 11, 20, 15), customer=customer_factory())
    for _i in range(6):
        make_ticket(resolve_at=at(2026, 11, 23, 9), customer=customer_factory())
    # when each day's sweep runs
    few_sent, few = _sweep_queries(at(2026, 11, 24, 16))
    many_sent, many = _sweep_queries(at(2026, 11, 25, 16))
    # then every callback was reminded once, in the bell and by e-mail
    assert (few_sent, many_sent) == (2, 6)
    assert CallbackReminder.objects.count() == 8
    assert Notification.objects.filter(recipient=personas.agent, message__startswith="Callback due").count() == 8
    assert OutboxMessage.objects.filter(kind="notification.email", to=personas.agent.email).count() == (
        8 if personas.agent.email else 0)
    # and the sweep of six cost what the sweep of two did
    assert many == few
