"""The report's first-response and resolution percentiles from the tickets' duration counts (PostgreSQL): the same
values as percentile_disc over the tickets, after every way a ticket is written, for every team and period shape
(whole UTC days or not), and the counts equal to a recount."""
import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from reports import selectors as report_selectors
from reports.periods import Period
from servicedesk.models import Team
from tickets import duration_sql
from tickets.models import Ticket, TicketDurationCount
from tickets.services import ticket_create

from .conftest import MONTH_EDGES, L, random_two_months

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
SH = ZoneInfo("Asia/Shanghai")
NOV = Period("month", date(2026, 11, 1), date(2026, 11, 30))
PERIODS = [NOV, Period("week", date(2026, 11, 9), date(2026, 11, 15)), Period("day", date(2026, 11, 3), date(2026, 11, 3)),
           Period("custom", date(2026, 10, 20), date(2026, 11, 12))]


def _times(team=None, period=NOV, source="auto"):
    """The raw percentiles (timedeltas), not the rounded hours: equal to the microsecond."""
    from tickets.selectors import response_time_percentiles

    periods = {"cur": period, "prev": period.previous()}
    if source == "auto":
        return response_time_percentiles(ranges={k: (p.start, p.end) for k, p in periods.items()}, team=team,
                                         ps=report_selectors.PERCENTILES)
    base = Ticket.objects.all() if team is None else Ticket.objects.filter(team=team)
    return {k: {"first_response": report_selectors.percentiles(
                    base.filter(first_response_at__gte=p.start, first_response_at__lt=p.end),
                    report_selectors._duration("first_response_at", "created_at")),
                "resolution": report_selectors.percentiles(
                    base.filter(resolved_at__gte=p.start, resolved_at__lt=p.end),
                    report_selectors._duration("resolved_at", "created_at"))}
            for k, p in periods.items()}


def _recount() -> dict:
    with connection.cursor() as cursor:
        cursor.execute(duration_sql.backfill_sql()[1].replace(f"INSERT INTO {duration_sql.TABLE} (day, team_key, "
                                                              "measure, bucket, n) ", ""))
        return {tuple(r[:4]): r[4] for r in cursor.fetchall()}


def _assert_equal(teams):
    kept = {(r.day, r.team_key, r.measure, r.bucket): r.n for r in TicketDurationCount.objects.exclude(n=0)}
    assert kept == _recount()
    for team in (*teams, None):
        for period in PERIODS:
            direct = _times(team, period, source="direct")
            assert _times(team, period) == direct, (team, period)
    return _times()


@pytest.fixture
def busy_two_months(personas, customer_factory):
    """~80 tickets over October and November at random moments (both month ends and UTC midnights included), two
    teams and none, answered and resolved after a few minutes to a few weeks."""
    rnd = random.Random(15)
    teams = [Team.objects.create(name="North"), Team.objects.create(name="South")]
    customer = customer_factory(name="王芳")
    moments = [*MONTH_EDGES, L(11, 3, 8), *random_two_months(rnd, 75)]  # and a working hour
    tickets = [ticket_create(customer=customer, kind=Ticket.Kind.values[i % len(Ticket.Kind.values)], subject=f"t{i}",
                             created_by=personas.frontdesk, now=at, team=teams[i % 3] if i % 3 < 2 else None)
               for i, at in enumerate(moments)]
    for t, at in zip(tickets, moments):
        fields = {"created_at": at}
        if rnd.random() < 0.85:
            fields["first_response_at"] = at + timedelta(seconds=rnd.choice([0, 30, 59, 60, 61, 3600, 7 * 86400])
                                                         if rnd.random() < 0.2 else rnd.randrange(1, 2 * 86400))
        if rnd.random() < 0.7:
            fields["resolved_at"] = at + timedelta(seconds=rnd.randrange(60, 20 * 86400), microseconds=rnd.randrange(10**6))
            fields["status"] = Ticket.Status.RESOLVED
        Ticket.objects.filter(pk=t.pk).update(**fields)
    return {"teams": teams, "tickets": [Ticket.objects.get(pk=t.pk) for t in tickets]}


def test_the_counts_give_percentile_disc_after_every_kind_of_write(busy_two_months):
    teams, tickets = busy_two_months["teams"], busy_two_months["tickets"]
    before = _assert_equal(teams)
    assert before["cur"]["resolution"] and before["prev"]["first_response"]

    # bulk UPDATEs: team, a reopen clears resolved_at, times moved (across a UTC midnight and the month end),
    # a resolution before its opening (bad data: a negative time), one deleted
    Ticket.objects.filter(pk__in=[t.pk for t in tickets[1::5]]).update(team=teams[1])
    Ticket.objects.filter(pk__in=[t.pk for t in tickets[2::7]]).update(team=None)
    Ticket.objects.filter(pk__in=[t.pk for t in tickets[3::6]]).update(resolved_at=None, status=Ticket.Status.REOPENED)
    Ticket.objects.filter(pk__in=[t.pk for t in tickets[4::9]]).update(created_at=F("created_at") - timedelta(hours=9))
    Ticket.objects.filter(pk=tickets[5].pk).update(resolved_at=datetime(2026, 12, 1, 0, 30, tzinfo=SH))
    Ticket.objects.filter(pk=tickets[8].pk).update(resolved_at=F("created_at") - timedelta(minutes=5))
    t = Ticket.objects.get(pk=tickets[6].pk)
    t.subject = "renamed"  # a save of the whole row that changes nothing counted
    t.save()
    t.first_response_at = datetime(2026, 11, 2, 16, 0, tzinfo=SH)
    t.save(update_fields=["first_response_at"])
    Ticket.objects.filter(pk=tickets[7].pk).delete()
    after = _assert_equal(teams)
    assert after != before


def test_the_sla_section_is_the_same_from_the_counts_and_from_the_tickets(busy_two_months):
    for team in (None, busy_two_months["teams"][0]):
        periods = {"cur": NOV, "prev": NOV.previous()}
        assert (report_selectors._response_times(periods, team)
                == report_selectors._response_times(periods, team, source="direct"))


def test_two_queries_for_four_percentile_pairs_through_the_bucket_indexes(busy_two_months):
    with CaptureQueriesContext(connection) as q:
        _times()
    assert len(q.captured_queries) == 2
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'tickets_ticket'")
        names = {n for (n,) in cursor.fetchall()}
    assert set(duration_sql.INDEXES.values()) <= names


def test_a_flush_leaves_the_counts_empty_not_negative(busy_two_months):
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {duration_sql.TABLE}")
    Ticket.objects.all().delete()
    assert not TicketDurationCount.objects.exists()


def test_utc_days_and_edges():
    start, end = datetime(2026, 11, 1, tzinfo=SH), datetime(2026, 12, 1, tzinfo=SH)
    days, edges = duration_sql.utc_days(start, end)
    assert days == (date(2026, 11, 1), date(2026, 11, 30))
    assert [(a.isoformat(), b.isoformat()) for a, b in edges] == [
        ("2026-10-31T16:00:00+00:00", "2026-11-01T00:00:00+00:00"),
        ("2026-11-30T00:00:00+00:00", "2026-11-30T16:00:00+00:00")]
    # a local day holds no whole UTC day: all of it is read from the tickets
    assert duration_sql.utc_days(start, start + timedelta(days=1)) == (None, [(start, start + timedelta(days=1))])
