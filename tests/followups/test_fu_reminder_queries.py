"""The reminder sweep (every 5 minutes) costs a fixed number of queries per batch, not per callback."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from followups import services
from followups.models import CallbackReminder
from servicedesk.models import Notification, OutboxMessage
from servicedesk.once import insert_new

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


def _digest_queries(now):
    with CaptureQueriesContext(connection) as ctx:
        sent = services.callback_digests_send(now=now)
    return sent, len(ctx.captured_queries)


def test_the_morning_digest_for_4_owners_costs_no_more_queries_than_for_1(personas, customer_factory):
    from followups.models import CallbackDigest

    # given one owner with a callback due on Tuesday 24th, and three more owners due on Wednesday 25th
    services.callback_schedule(customer=customer_factory(), reason="manual", due_at=at(2026, 11, 24, 11),
                               owner=personas.agent, now=at(2026, 11, 23, 9))
    for owner in (personas.agent2, personas.supervisor, personas.manager):
        services.callback_schedule(customer=customer_factory(), reason="manual", due_at=at(2026, 11, 25, 11),
                                   owner=owner, now=at(2026, 11, 23, 9))
    # when each morning's digest runs (the agent's Tuesday callback is still open on Wednesday)
    one_sent, one = _digest_queries(at(2026, 11, 24, 8, 30))
    four_sent, four = _digest_queries(at(2026, 11, 25, 8, 30))
    # then each owner got one digest a day, in the bell
    assert (one_sent, four_sent) == (1, 4)
    assert CallbackDigest.objects.count() == 5
    assert Notification.objects.filter(recipient=personas.manager, message__startswith="Good morning").count() == 1
    # and four owners cost what one did
    assert four == one


def test_a_row_another_run_inserted_meanwhile_is_skipped_and_the_rest_inserted(personas):
    from datetime import date

    from followups.models import CallbackDigest

    # given a digest a parallel run wrote after this run read what was there
    CallbackDigest.objects.create(owner=personas.agent, day=date(2026, 11, 24), count=1, sent_at=at(2026, 11, 24, 8))
    rows = [CallbackDigest(owner=user, day=date(2026, 11, 24), count=1, sent_at=at(2026, 11, 24, 8))
            for user in (personas.agent, personas.agent2)]
    # when this run inserts both
    inserted = insert_new(CallbackDigest, rows)
    # then only the one nobody wrote is inserted (and acted on)
    assert [row.owner_id for row in inserted] == [personas.agent2.pk]
    assert CallbackDigest.objects.count() == 2
