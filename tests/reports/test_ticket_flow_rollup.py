"""The monthly report's ticket flow from the hourly rollup the database keeps (issue 14): the rollup gives the same
figures as counting the tickets, after every way a ticket is written — services, the sweep's set-based priority
raise, bulk UPDATEs, deletes — on SQLite and PostgreSQL alike."""
import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from reports import selectors as report_selectors
from reports.periods import Period
from servicedesk.models import Team
from tickets import flow_sql
from tickets.models import Ticket, TicketFlowDelta
from tickets.selectors import backlogs_at, ticket_flow_rows
from tickets.services import ticket_create, tickets_raise_priority_for_breach

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NOV = Period("month", datetime(2026, 11, 1).date(), datetime(2026, 11, 30).date())


def _flows(team=None, period=NOV, source="auto"):
    prev = period.previous()
    rows = ticket_flow_rows(current=(period.start, period.end), previous=(prev.start, prev.end), team=team,
                            source=source)
    keys = ("opened", "resolved", "closed", "prev_opened", "prev_resolved", "prev_closed")
    # the rollup may keep a kind and priority whose counts all came back to 0: not a difference
    return [r for r in rows if any(r[k] for k in keys)]


# the backlog at whole UTC hours: both month ends, inside the months, before and after every ticket
BACKLOG_MOMENTS = [datetime(2026, 11, 1, tzinfo=SH), datetime(2026, 12, 1, tzinfo=SH), datetime(2026, 10, 1, tzinfo=SH),
                   datetime(2026, 11, 10, 13, tzinfo=SH), datetime(2026, 10, 20, 7, tzinfo=SH),
                   datetime(2026, 1, 1, tzinfo=SH), datetime(2027, 3, 1, tzinfo=SH)]


def _assert_equal(teams):
    """The rollup's figures equal the tickets' for all teams and each — the flows and the backlog at many
    moments; returns the all-teams flows."""
    for team in (*teams, None):
        direct = _flows(team, source="direct")
        assert _flows(team, source="rollup") == direct, team
        assert (backlogs_at(moments=BACKLOG_MOMENTS, team=team, source="rollup")
                == backlogs_at(moments=BACKLOG_MOMENTS, team=team, source="direct")), team
    return direct


@pytest.fixture
def busy_two_months(personas, customer_factory):
    """~60 tickets over October and November at random hours (both month ends included), two teams, every kind."""
    rnd = random.Random(14)
    teams = [Team.objects.create(name="North"), Team.objects.create(name="South")]
    customer = customer_factory(name="王芳")
    edges = [datetime(2026, 10, 31, 23, 59, tzinfo=SH), datetime(2026, 11, 1, 0, 0, tzinfo=SH),
             datetime(2026, 11, 30, 23, 59, 59, tzinfo=SH), datetime(2026, 12, 1, 0, 0, tzinfo=SH),
             datetime(2026, 9, 30, 23, 59, tzinfo=SH)]
    moments = edges + [datetime(2026, 10, 1, tzinfo=SH) + timedelta(minutes=rnd.randrange(61 * 24 * 60))
                       for _ in range(55)]
    tickets = []
    for i, at in enumerate(moments):
        t = ticket_create(customer=customer, kind=Ticket.Kind.values[i % len(Ticket.Kind.values)],
                          subject=f"t{i}", created_by=personas.frontdesk, now=at,
                          priority=rnd.choice(Ticket.Priority.values), team=teams[i % 3] if i % 3 < 2 else None)
        tickets.append(t)
    # created_at is stamped by the database row's save (auto_now_add): move it to the moment, as history
    for t, at in zip(tickets, moments):
        Ticket.objects.filter(pk=t.pk).update(created_at=at)
    for t, at in zip(tickets, moments):
        if rnd.random() < 0.6:
            done = at + timedelta(hours=rnd.randrange(1, 200))
            closed = done + timedelta(days=3) if rnd.random() < 0.5 else None
            Ticket.objects.filter(pk=t.pk).update(status=Ticket.Status.CLOSED if closed else Ticket.Status.RESOLVED,
                                                  resolved_at=done, closed_at=closed)
    return {"teams": teams, "tickets": [Ticket.objects.get(pk=t.pk) for t in tickets], "rnd": rnd}


def test_the_rollup_equals_the_tickets_after_every_kind_of_write(busy_two_months, personas):
    teams, tickets = busy_two_months["teams"], busy_two_months["tickets"]
    before = _assert_equal(teams)
    assert sum(r["opened"] for r in before) > 20 and sum(r["prev_resolved"] for r in before) > 5
    backlog_before = backlogs_at(moments=BACKLOG_MOMENTS)
    assert backlog_before[0] > 0 and backlog_before[1] > 0

    # the SLA sweep's set-based raise (one UPDATE for many tickets)
    open_ones = [t for t in tickets if t.status not in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED)][:10]
    tickets_raise_priority_for_breach(tickets=open_ones, reasons={t.pk: ["SLA breached"] for t in open_ones},
                                      now=datetime(2026, 11, 20, tzinfo=SH))
    # bulk UPDATEs: priority, team, kind; a reopen clears resolved_at; a resolution moves across the month end
    Ticket.objects.filter(pk__in=[t.pk for t in tickets[::4]]).update(priority=F("priority") * 0 + 3)
    Ticket.objects.filter(pk__in=[t.pk for t in tickets[1::5]]).update(team=teams[1])
    Ticket.objects.filter(pk__in=[t.pk for t in tickets[2::7]]).update(team=None, kind=Ticket.Kind.INQUIRY)
    Ticket.objects.filter(pk__in=[t.pk for t in tickets[3::6]]).update(resolved_at=None, closed_at=None,
                                                                       status=Ticket.Status.REOPENED)
    Ticket.objects.filter(pk=tickets[5].pk).update(resolved_at=datetime(2026, 12, 1, 0, 30, tzinfo=SH))
    # the backlog's own moves: cancelled (out of every backlog) and back; closed without a resolution; resolved
    # before its opening (bad data: it never was in the backlog)
    Ticket.objects.filter(pk__in=[t.pk for t in tickets[9::8]]).update(status=Ticket.Status.CANCELLED)
    Ticket.objects.filter(pk=tickets[9].pk).update(status=Ticket.Status.NEW)
    Ticket.objects.filter(pk=tickets[10].pk).update(resolved_at=None, closed_at=datetime(2026, 11, 20, 9, 5, tzinfo=SH),
                                                    status=Ticket.Status.CLOSED)
    Ticket.objects.filter(pk=tickets[11].pk).update(resolved_at=F("created_at") - timedelta(hours=3))
    # a save of the whole row that changes nothing the rollup counts
    t = Ticket.objects.get(pk=tickets[6].pk)
    t.subject = "renamed"
    t.save()
    # a ticket saved through the ORM with a new priority; and one deleted
    t.priority = 0 if t.priority else 2
    t.save(update_fields=["priority"])
    Ticket.objects.filter(pk=tickets[7].pk).delete()
    after = _assert_equal(teams)
    assert after != before  # the writes did move the figures
    assert backlogs_at(moments=BACKLOG_MOMENTS) != backlog_before


def test_the_report_section_is_the_same_read_from_the_rollup_and_from_the_tickets(busy_two_months, monkeypatch):
    from tickets import selectors as ticket_selectors

    teams = busy_two_months["teams"]
    for team in (None, teams[0]):
        from_rollup = report_selectors.tickets_section(period=NOV, team=team)
        original, original_backlogs = ticket_selectors.ticket_flow_rows, ticket_selectors.backlogs_at
        monkeypatch.setattr(ticket_selectors, "ticket_flow_rows",
                            lambda **kw: original(**{**kw, "source": "direct"}))
        monkeypatch.setattr(ticket_selectors, "backlogs_at",
                            lambda **kw: original_backlogs(**{**kw, "source": "direct"}))
        assert report_selectors.tickets_section(period=NOV, team=team) == from_rollup
        monkeypatch.undo()


def test_the_report_reads_the_rollup_not_the_tickets(busy_two_months):
    with CaptureQueriesContext(connection) as q:
        rows = _flows()
    [sql] = [x["sql"] for x in q.captured_queries]
    assert TicketFlowDelta._meta.db_table in sql and '"tickets_ticket"' not in sql
    assert rows


def test_a_period_off_whole_utc_hours_is_counted_from_the_tickets(busy_two_months, settings):
    """India is 5 h 30 min from UTC: its local days do not start on a rollup hour, so the tickets are counted."""
    settings.TIME_ZONE = "Asia/Kolkata"
    kolkata = ZoneInfo("Asia/Kolkata")
    start, end = datetime(2026, 11, 1, tzinfo=kolkata), datetime(2026, 12, 1, tzinfo=kolkata)
    prev = (datetime(2026, 10, 1, tzinfo=kolkata), start)
    with CaptureQueriesContext(connection) as q:
        rows = ticket_flow_rows(current=(start, end), previous=prev)
    [sql] = [x["sql"] for x in q.captured_queries]
    assert TicketFlowDelta._meta.db_table not in sql
    assert rows == ticket_flow_rows(current=(start, end), previous=prev, source="direct")


def test_lost_triggers_come_back_with_a_recount(busy_two_months):
    """On SQLite a migration that alters the tickets table rebuilds it, and its triggers go with the old one: after
    every migrate they are checked, put back and the rollup recounted."""
    teams = busy_two_months["teams"]
    with connection.cursor() as cursor:
        for sql in flow_sql.drop_sql(connection.vendor):
            cursor.execute(sql)
    Ticket.objects.filter(pk=busy_two_months["tickets"][0].pk).update(priority=F("priority") * 0 + 3, team=teams[0])
    assert flow_sql.ensure(connection) is True
    _assert_equal(teams)
    assert flow_sql.ensure(connection) is False  # all well: nothing to do
    Ticket.objects.filter(pk=busy_two_months["tickets"][1].pk).update(team=teams[1])
    _assert_equal(teams)


def test_a_flush_leaves_the_rollup_empty_not_negative(busy_two_months):
    """Django's flush (every transactional test ends with one) empties the tables one by one: a delete of tickets
    after the rollup was emptied must not leave −1 rows behind."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TicketFlowDelta._meta.db_table}")
    Ticket.objects.all().delete()
    assert not TicketFlowDelta.objects.exists()


def test_a_statement_over_many_tickets_writes_one_row_per_key_not_per_ticket(personas, customer_factory):
    """The SLA sweep raises a thousand priorities in one UPDATE: the rollup gains a row per key the statement
    moved counts between (PostgreSQL sums the statement's rows in one trigger call; SQLite folds each into its
    key), not two per ticket. Likewise for one INSERT and one DELETE of many tickets."""
    at = datetime(2026, 11, 10, 9, 15, tzinfo=SH)
    customer = customer_factory(name="李娜")
    made = [ticket_create(customer=customer, kind=Ticket.Kind.REPAIR, subject=f"m{i}", created_by=personas.frontdesk,
                          now=at, priority=Ticket.Priority.NORMAL) for i in range(12)]
    ids = [t.pk for t in made]
    Ticket.objects.filter(pk__in=ids).update(created_at=at)  # one statement: all twelve into one hour
    rows = TicketFlowDelta.objects.count()
    Ticket.objects.filter(pk__in=ids).update(priority=Ticket.Priority.HIGH)
    # the old key loses twelve and the new one gains twelve: at most two new rows (SQLite: the old key's
    # row already exists, so one)
    assert TicketFlowDelta.objects.count() - rows <= 2
    new_key = TicketFlowDelta.objects.filter(hour=at.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H"),
                                             priority=Ticket.Priority.HIGH, kind=Ticket.Kind.REPAIR)
    assert sum(new_key.values_list("opened", flat=True)) == 12
    Ticket.objects.bulk_create([Ticket(number=f"BULK-{i}", kind=Ticket.Kind.REPAIR, customer=customer,
                                       subject=f"b{i}", created_by=personas.frontdesk, created_at=at)
                                for i in range(12)])  # created_at: the moment above (auto_now_add overrides it)
    Ticket.objects.filter(number__startswith="BULK-").update(created_at=at)
    rows = TicketFlowDelta.objects.count()
    Ticket.objects.filter(pk__in=ids).delete()
    assert TicketFlowDelta.objects.count() - rows <= 1
    _assert_equal([])
    assert sum(r["opened"] for r in _flows()) == 12  # the bulk-created twelve are left


def test_compaction_folds_the_rows_and_keeps_every_figure(busy_two_months):
    """A mass update of old tickets (here: every ticket's moments moved by 90 minutes, as a data fix or the
    side-by-side harness's rebase would) appends a −1 and a +1 row per contribution; the nightly fold leaves one
    row per hour and group, the figures unchanged, and a second run finds nothing to do."""
    from tickets.services import flow_rollup_compact

    teams = busy_two_months["teams"]
    shift = timedelta(minutes=90)
    for t in Ticket.objects.all():
        Ticket.objects.filter(pk=t.pk).update(created_at=t.created_at + shift,
                                              resolved_at=t.resolved_at and t.resolved_at + shift,
                                              closed_at=t.closed_at and t.closed_at + shift)
    figures = _assert_equal(teams)
    rows_before = TicketFlowDelta.objects.count()
    keys = list(TicketFlowDelta.objects.values_list("hour", "team_key", "kind", "priority"))
    zeros = TicketFlowDelta.objects.filter(opened=0, resolved=0, closed=0).count()
    done = flow_rollup_compact()
    if connection.vendor == "sqlite":
        # SQLite's triggers add to the row of the key: already one row per hour and group, only the keys the
        # tickets moved out of are left at 0, and those the fold drops
        assert len(keys) == len(set(keys)) and zeros > 0
        assert done == {"days": 0, "rows_in": 0, "rows_out": 0, "days_left": 0, "zero_rows": zeros}
        assert TicketFlowDelta.objects.count() == rows_before - zeros
    else:
        assert done["days"] > 0 and done["days_left"] == 0 and done["rows_in"] == rows_before
        assert done["rows_out"] == TicketFlowDelta.objects.count() < rows_before / 2
    assert _assert_equal(teams) == figures
    keys = list(TicketFlowDelta.objects.values_list("hour", "team_key", "kind", "priority"))
    assert len(keys) == len(set(keys))  # one row per hour and group
    assert not TicketFlowDelta.objects.filter(opened=0, resolved=0, closed=0).exists()
    assert flow_rollup_compact() == {"days": 0, "rows_in": 0, "rows_out": 0, "days_left": 0, "zero_rows": 0}
    # and the triggers go on from the folded rows
    Ticket.objects.filter(pk=busy_two_months["tickets"][0].pk).update(team=teams[1], priority=3)
    _assert_equal(teams)


def test_the_nightly_job_is_on_the_beat_schedule():
    from servicedesk.celery import PERIODIC_TASKS

    assert PERIODIC_TASKS["tickets-flow-compact"] == "tickets.flow_compact"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="EXPLAIN QUERY PLAN is SQLite's")
def test_the_report_reads_the_rollup_from_its_covering_index(busy_two_months):
    """The sums over a range of hours, for all teams and for one, come from tickets_flow_cover alone."""
    for team in (None, busy_two_months["teams"][0]):
        with CaptureQueriesContext(connection) as ctx:
            _flows(team, source="rollup")
        (query,) = ctx.captured_queries
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
            plan = " ".join(row[-1] for row in cursor.fetchall())
        assert "USING COVERING INDEX tickets_flow_cover" in plan, plan
