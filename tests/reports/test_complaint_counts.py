"""The report's complaints section from the complaints' daily counts (PostgreSQL): the same rows as the grouped count
over the complaints, after every way a complaint or its ticket is written, for every team and period shape, and the
counts equal to a recount."""
import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from reports import selectors as report_selectors
from reports.periods import Period
from servicedesk.models import Team
from tickets import complaint_sql
from tickets.models import Complaint, Department, Ticket, TicketComplaintCount
from tickets.services import ticket_create

from .conftest import MONTH_EDGES, L, random_two_months

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
SH = ZoneInfo("Asia/Shanghai")
NOV = Period("month", date(2026, 11, 1), date(2026, 11, 30))
PERIODS = [NOV, Period("week", date(2026, 11, 9), date(2026, 11, 15)), Period("day", date(2026, 11, 3), date(2026, 11, 3)),
           Period("custom", date(2026, 10, 20), date(2026, 11, 12))]


def _rows(period, team, source="auto"):
    return sorted(report_selectors._complaint_rows(period, team, source=source),
                  key=lambda r: (r["cur"], r["category"], r["department__name"] or ""))


def _recount() -> dict:
    insert = complaint_sql.backfill_sql()[1]
    select = insert[insert.index("SELECT * FROM ("):insert.index(" ON CONFLICT")]
    with connection.cursor() as cursor:
        cursor.execute(select)
        return {tuple(r[:4]): tuple(r[4:]) for r in cursor.fetchall()}


def _assert_equal(teams):
    kept = {(r.day, r.team_key, r.category, r.department_key): (r.n, r.inv_n, r.inv_us, r.sol_n, r.sol_us)
            for r in TicketComplaintCount.objects.all() if any((r.n, r.inv_n, r.inv_us, r.sol_n, r.sol_us))}
    assert kept == _recount()
    for team in (*teams, None):
        for period in PERIODS:
            assert _rows(period, team) == _rows(period, team, source="direct"), (team, period)
    return _rows(NOV, None)


@pytest.fixture
def complaints(personas, customer_factory):
    """~60 complaint tickets over October and November at random moments (month ends and UTC midnights included), two
    teams and none, two departments and none, some investigated and answered; a few repair tickets with a complaint
    form too (not counted: the report counts complaint tickets)."""
    rnd = random.Random(16)
    teams = [Team.objects.create(name="North"), Team.objects.create(name="South")]
    departments = [Department.objects.create(name="质量部"), Department.objects.create(name="Service", name_en="Service")]
    customer = customer_factory(name="王芳")
    moments = [*MONTH_EDGES, L(11, 3, 8), *random_two_months(rnd, 55)]  # and a working hour
    tickets = []
    for i, at in enumerate(moments):
        kind = Ticket.Kind.REPAIR if i % 11 == 10 else Ticket.Kind.COMPLAINT
        t = ticket_create(customer=customer, kind=kind, subject=f"c{i}", created_by=personas.frontdesk, now=at,
                          team=teams[i % 3] if i % 3 < 2 else None)
        Ticket.objects.filter(pk=t.pk).update(created_at=at)  # stamped by the row's save: moved to the moment
        inv = at + timedelta(seconds=rnd.randrange(60, 5 * 86400), microseconds=rnd.randrange(10**6)) \
            if rnd.random() < 0.7 else None
        sol = inv + timedelta(seconds=rnd.randrange(0, 3 * 86400)) if inv and rnd.random() < 0.7 else None
        Complaint.objects.update_or_create(ticket=t, defaults={
            "category": rnd.choice(Complaint.Category.values), "department": rnd.choice([*departments, None]),
            "investigated_at": inv, "solution_sent_at": sol})
        tickets.append(t)
    return {"teams": teams, "departments": departments, "tickets": tickets, "customer": customer}


def _delete_what_refers_to(obj, *, keep):
    """Delete the rows Django's delete would remove with `obj` (its events, clocks…), except those of `keep`."""
    from django.db.models.deletion import Collector

    collector = Collector(using="default")
    collector.collect([obj])
    for qs in collector.fast_deletes:
        if qs.model not in keep:
            qs._raw_delete("default")
    for model, instances in collector.data.items():
        if model not in keep:
            model._base_manager.filter(pk__in=[i.pk for i in instances])._raw_delete("default")


def test_the_counts_give_the_complaint_rows_after_every_kind_of_write(complaints, personas):
    teams, tickets, departments = complaints["teams"], complaints["tickets"], complaints["departments"]
    before = _assert_equal(teams)
    assert sum(r["n"] for r in before if r["cur"]) > 10 and any(r["inv_sum"] for r in before)

    # the complaint: category, department, investigated and answered (set, moved, cleared)
    Complaint.objects.filter(ticket__in=tickets[::4]).update(category=Complaint.Category.PRICE)
    Complaint.objects.filter(ticket__in=tickets[1::5]).update(department=departments[1])
    Complaint.objects.filter(ticket__in=tickets[2::6]).update(investigated_at=None, solution_sent_at=None)
    for c in Complaint.objects.filter(ticket__in=tickets[3::7]).select_related("ticket"):
        Complaint.objects.filter(pk=c.pk).update(investigated_at=c.ticket.created_at + timedelta(hours=5),
                                                 solution_sent_at=datetime(2026, 12, 2, tzinfo=SH))
    c = Complaint.objects.get(ticket=tickets[6])
    c.findings = "written up"  # a save of the whole row that changes nothing counted
    c.save()
    # the ticket: opening moved (across the month end), team, kind away from complaint and back
    Ticket.objects.filter(pk__in=[t.pk for t in tickets[4::9]]).update(created_at=F("created_at") - timedelta(hours=9))
    Ticket.objects.filter(pk__in=[t.pk for t in tickets[5::8]]).update(team=teams[1])
    Ticket.objects.filter(pk=tickets[7].pk).update(kind=Ticket.Kind.INQUIRY)
    Ticket.objects.filter(pk=tickets[8].pk).update(kind=Ticket.Kind.INQUIRY)
    Ticket.objects.filter(pk=tickets[8].pk).update(kind=Ticket.Kind.COMPLAINT)
    Ticket.objects.filter(pk__in=[t.pk for t in tickets[9::10]]).update(priority=3)  # not counted: nothing moves
    # deleted through the ORM (the complaint goes first), and by SQL with the ticket first (the key is checked at
    # commit); a complaint written before its ticket
    tickets[12].delete()
    with transaction.atomic(), connection.cursor() as cursor:
        _delete_what_refers_to(tickets[13], keep=(Ticket, Complaint))
        cursor.execute(f"DELETE FROM {complaint_sql.TICKETS} WHERE id = %s", [tickets[13].pk])
        cursor.execute(f"DELETE FROM {complaint_sql.COMPLAINTS} WHERE ticket_id = %s", [tickets[13].pk])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT nextval(pg_get_serial_sequence('{complaint_sql.TICKETS}', 'id'))")
        (new_id,) = cursor.fetchone()
        Complaint(ticket_id=new_id, category=Complaint.Category.OTHER,
                  investigated_at=datetime(2026, 11, 20, 10, tzinfo=SH)).save(force_insert=True)
        Ticket(pk=new_id, number="CC-late", kind=Ticket.Kind.COMPLAINT, customer=complaints["customer"],
               subject="late", created_by=personas.frontdesk).save(force_insert=True)
        Ticket.objects.filter(pk=new_id).update(created_at=datetime(2026, 11, 19, 10, tzinfo=SH))
    after = _assert_equal(teams)
    assert after != before


def test_the_section_is_the_same_from_the_counts_and_from_the_complaints(complaints, monkeypatch):
    for team in (None, complaints["teams"][0]):
        from_counts = report_selectors.complaints_section(period=NOV, team=team)
        original = report_selectors._complaint_rows
        monkeypatch.setattr(report_selectors, "_complaint_rows",
                            lambda period, team: original(period, team, source="direct"))
        assert report_selectors.complaints_section(period=NOV, team=team) == from_counts
        monkeypatch.undo()


def test_one_query_that_reads_no_month_of_complaints(complaints):
    with CaptureQueriesContext(connection) as q:
        report_selectors.complaints_section(period=NOV)
    [sql] = [x["sql"] for x in q.captured_queries]
    assert complaint_sql.TABLE in sql


def test_a_flush_leaves_the_counts_empty_not_negative(complaints):
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {complaint_sql.TABLE}")
    Ticket.objects.all().delete()
    assert not TicketComplaintCount.objects.exists()
