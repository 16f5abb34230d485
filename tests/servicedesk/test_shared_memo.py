"""Configuration kept per thread across requests (servicedesk.shared_memo, issue 14): read once, re-read the
moment anyone changes it — in this process, in another, through a save or a bulk write — and never stale
when the cache is down."""
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.signals import request_started
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sla.models import SLAPolicy, SLATarget
from sla.services import POLICIES, policy_for_ticket
from tickets.services import ticket_create

pytestmark = pytest.mark.django_db


def _policy_reads(fn):
    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return result, sum('FROM "sla_slapolicy"' in q["sql"] for q in ctx.captured_queries)


def _request_starts():
    """What a request's start does to the kept policies (sending request_started itself would also close the
    test's database connection)."""
    receivers = request_started._live_receivers(None)
    receivers = receivers[0] if isinstance(receivers, tuple) else receivers  # Django 5: (sync, async)
    assert POLICIES.check in receivers
    POLICIES.check()


def _first_response_hours(customer_factory, personas):
    ticket = ticket_create(customer=customer_factory(), kind="repair", subject="Noise", created_by=personas.frontdesk)
    clock = ticket.sla_clocks.get(target="first_response")
    return clock.duration.total_seconds() / 3600


def test_policies_are_read_once_then_kept(customer_factory, personas):
    customer = customer_factory()
    _result, first = _policy_reads(lambda: ticket_create(customer=customer, kind="repair", subject="a",
                                                         created_by=personas.frontdesk))
    _result, second = _policy_reads(lambda: ticket_create(customer=customer, kind="repair", subject="b",
                                                          created_by=personas.frontdesk))
    assert (first, second) == (1, 0)


@pytest.mark.parametrize("change", ["save", "queryset update", "related update", "delete a target"])
def test_a_change_in_this_process_applies_to_the_next_ticket(change, customer_factory, personas):
    assert _first_response_hours(customer_factory, personas) == 24  # kept now
    targets = SLATarget.objects.filter(policy__name="Repair", target="first_response")
    if change == "save":
        target = targets.get()
        target.hours = Decimal(2)
        target.save()
    elif change == "queryset update":
        targets.update(hours=Decimal(2))
    elif change == "related update":
        SLAPolicy.objects.get(name="Repair").targets.filter(target="first_response").update(hours=Decimal(2))
    else:
        targets.delete()
        ticket = ticket_create(customer=customer_factory(), kind="repair", subject="x", created_by=personas.frontdesk)
        assert not ticket.sla_clocks.filter(target="first_response").exists()
        return
    assert _first_response_hours(customer_factory, personas) == 2


def test_a_change_in_another_process_applies_from_the_next_request(customer_factory, personas):
    # given this thread keeps the policies
    assert _first_response_hours(customer_factory, personas) == 24
    # when another process changes a target: the row changes and the shared token is renewed there
    with connection.cursor() as cursor:  # a write this process's ORM does not see
        cursor.execute("UPDATE sla_slatarget SET hours = 3 WHERE target = 'first_response' AND policy_id = "
                       "(SELECT id FROM sla_slapolicy WHERE name = 'Repair')")
    cache.set(POLICIES.key, "renewed by another process", None)
    # then the kept copy serves until this thread's next request starts, and not after
    assert _first_response_hours(customer_factory, personas) == 24
    _request_starts()
    assert _first_response_hours(customer_factory, personas) == 3


def test_without_a_cache_every_request_reads_afresh(customer_factory, personas, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    # given the shared cache fails on every call
    for name in ("get", "add", "set"):
        monkeypatch.setattr(cache, name, down)
    ticket = ticket_create(customer=customer_factory(), kind="repair", subject="a", created_by=personas.frontdesk)
    assert ticket.sla_clocks.filter(target="first_response").exists()  # intake works
    # then no copy outlives a request: the next one reads the policies again
    _request_starts()
    policy, reads = _policy_reads(lambda: policy_for_ticket(ticket))
    assert reads == 1 and policy.name == "Repair"


def test_calendar_rows_are_kept_and_a_holiday_applies_to_the_next_ticket(customer_factory, personas):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import time_machine

    from sla.calendars import default_calendar
    from sla.services import calendar_day_set

    monday = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

    def resolution_deadline():
        ticket = ticket_create(customer=customer_factory(), kind="repair", subject="x", created_by=personas.frontdesk,
                               now=monday)
        return ticket.sla_clocks.get(target="resolution").deadline

    with time_machine.travel(monday, tick=False):
        before = resolution_deadline()
        # the calendar row is kept: a second ticket reads no calendar
        with CaptureQueriesContext(connection) as ctx:
            assert resolution_deadline() == before
        assert not any('FROM "sla_businesscalendar"' in q["sql"] for q in ctx.captured_queries)
        # when Tuesday becomes a holiday on the calendar page
        calendar_day_set(calendar=default_calendar(), date=datetime(2026, 11, 24).date(), kind="holiday", name="x")
        # then the next ticket's business-hours deadline moves past it
        assert resolution_deadline() > before


def test_a_copy_older_than_its_seconds_is_kept_while_nothing_changed():
    """Age alone costs no re-read (a page's query count stays the same across the `seconds` boundary); a
    change anywhere still makes the next read fresh."""
    from servicedesk.shared_memo import SharedMemo

    loads = []
    memo = SharedMemo("test:memo:age", lambda: loads.append(1) or len(loads), seconds=0)
    cache.delete("test:memo:age")
    # given a copy read once, older than `seconds` (0)
    assert memo.get() == 1
    # when it is read again with the shared token unchanged, then it is kept
    assert memo.get() == 1 and len(loads) == 1
    # when anyone changes the table (a new token), then the next read loads afresh
    cache.set("test:memo:age", "another-process", None)
    assert memo.get() == 2 and len(loads) == 2
