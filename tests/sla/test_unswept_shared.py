"""Issue 14: the running clocks past their deadline that the sweep has not marked yet are read once
per dashboard (sla.selectors.UnsweptMissed), without the IN on targets that led SQLite to read every
clock of those targets, and grouped by local day inside the database (a CASE over the period's
midnights on SQLite) — giving the same figures as before."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sla import selectors
from sla.models import SLAClock
from tests.sla.slatime import at

pytestmark = pytest.mark.django_db
NOW = at(2026, 11, 25, 10)


def test_dashboard_reads_the_unswept_clocks_once(client_for, open_ticket, personas):
    # given tickets whose first response is overdue and not yet swept
    for hours in (30, 40, 60):
        open_ticket(now=NOW - timedelta(hours=hours), assignee=personas.agent)
    client = client_for("supervisor")
    with time_machine.travel(NOW, tick=False):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("sla:dashboard"))
    unswept = [q["sql"] for q in ctx.captured_queries
               if 'FROM "sla_slaclock"' in q["sql"] and '"sla_slaclock"."met" IS NULL' in q["sql"]
               and "GROUP BY" in q["sql"]]
    # then one grouped read serves compliance, trend and the breach counts
    assert len(unswept) == 1, unswept
    assert "target" in unswept[0] and " IN (" not in unswept[0].split("WHERE", 1)[1]
    assert response.context["breaches"]["week"] >= 3


def test_shared_read_gives_the_same_cells_as_separate_reads(open_ticket, personas):
    for hours in (2, 26, 50, 75):
        open_ticket(now=NOW - timedelta(hours=hours), kind="complaint" if hours % 2 else "repair",
                    assignee=personas.agent if hours > 30 else None)
    today = timezone.localtime(NOW).date()
    live = selectors.UnsweptMissed(start=today - timedelta(days=40), end=today, now=NOW)
    for by in (("day",), ("target",), ("day", "target"), ("target", "kind", "tier", "channel", "team", "agent")):
        for start, targets in ((today - timedelta(days=6), None), (today - timedelta(days=29), selectors.REPORTED_TARGETS)):
            alone = selectors.compliance_cells(start=start, end=today, now=NOW, targets=targets, by=by)
            shared = selectors.compliance_cells(start=start, end=today, now=NOW, targets=targets, by=by, live=live)
            assert alone == shared and alone, (by, start)


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Europe/Berlin", "America/New_York"])
def test_local_day_in_the_database_matches_python(zone, settings, open_ticket, personas):
    # given deadlines around local midnights, across a daylight-saving change where the zone has one
    settings.TIME_ZONE = zone
    tz = ZoneInfo(zone)
    with timezone.override(tz):
        tickets = [open_ticket(now=NOW) for _ in range(6)]
        moments = [datetime(2026, 10, 24, 23, 59, tzinfo=tz), datetime(2026, 10, 25, 0, 0, tzinfo=tz),
                   datetime(2026, 10, 25, 23, 30, tzinfo=tz), datetime(2026, 10, 26, 0, 30, tzinfo=tz),
                   datetime(2026, 11, 1, 1, 30, tzinfo=tz), datetime(2026, 11, 2, 0, 0, tzinfo=tz)]
        for ticket, moment in zip(tickets, moments):
            SLAClock.objects.filter(ticket=ticket).update(deadline=moment)
        start, end = date(2026, 10, 20), date(2026, 11, 5)
        rows = (SLAClock.objects.filter(ticket__in=tickets).annotate(day=selectors._local_day("deadline", start, end))
                .values("day").annotate(n=Count("id")).order_by("day"))
        got = {row["day"]: row["n"] for row in rows}
        expected: dict = {}
        for clock in SLAClock.objects.filter(ticket__in=tickets):
            day = clock.deadline.astimezone(tz).date()
            expected[day] = expected.get(day, 0) + 1
    assert got == expected
