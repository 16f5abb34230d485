"""The indexes the reports add on other areas' tables must not steal those areas' own plans.

SQLite picks indexes by rule, without statistics: a full index led by sla_slaclock.stopped_at
answered SLA's at-risk list (stopped_at IS NULL … ORDER BY deadline) by equality on stopped_at and
a sort, instead of SLA's partial index sla_clock_running_idx. The reports' index is partial
(decided clocks only) so that cannot happen, and the compliance count still reads it alone.
"""
from datetime import date

import pytest
from django.db import connection
from django.utils import timezone

from sla.selectors import clocks_at_risk

pytestmark = pytest.mark.django_db
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="EXPLAIN QUERY PLAN is SQLite's")


def plan(qs) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as c:
        c.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(row[-1] for row in c.fetchall())


@sqlite_only
def test_at_risk_list_keeps_sla_running_index():
    p = plan(clocks_at_risk(now=timezone.now())[:25])
    assert "sla_clock_running_idx" in p
    assert "reports_" not in p
    assert "TEMP B-TREE FOR ORDER BY" not in p


@sqlite_only
def test_sla_compliance_reads_the_rollup_and_the_running_clock_index():
    # The reports' compliance is sla.selectors.compliance_cells: SLA's daily rollup by deadline day
    # (its unique key leads with the day) plus the unswept running clocks past their deadline
    # through SLA's own partial index; the reports keep no index on SLA's clocks any more.
    from django.db.models import Count, Sum

    from sla.models import SLADailyCompliance
    from sla.selectors import _unswept_missed

    live = _unswept_missed(start=date(2026, 11, 1), end=date(2026, 11, 30), now=timezone.now())
    # from the index alone: handoff_id is in it, so `handoff IS NULL` costs no lookup per clock
    assert "USING COVERING INDEX sla_clock_running_idx" in plan(live.values("target").annotate(n=Count("id")).order_by())
    rolled = SLADailyCompliance.objects.filter(day__gte=date(2026, 11, 1), day__lte=date(2026, 11, 30))
    # the counts come from sla_daily_cover_idx alone (day, target, team, decided, met): no row lookups
    assert "USING COVERING INDEX sla_daily_cover_idx" in plan(
        rolled.values("day", "target").annotate(n=Sum("decided"), m=Sum("met")).order_by())
    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM sqlite_master WHERE name = 'reports_slaclock_decided_idx'")
        assert c.fetchone() == (0,)


@pytest.mark.postgres
def test_revisit_index_on_postgresql():
    with connection.cursor() as c:
        c.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'reports_wo_revisit_idx'")
        (definition,) = c.fetchone()
    assert "(asset_id, created_at)" in definition and "cancelled" in definition


@sqlite_only
def test_revisit_index_not_on_sqlite():
    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM sqlite_master WHERE name = 'reports_wo_revisit_idx'")
        assert c.fetchone() == (0,)


def test_every_declared_index_exists_after_migrate():
    # The reports' indexes on tickets, work orders and callbacks were raw SQL unknown to Django's
    # state, and SQLite's table rebuild in tickets 0010 dropped them (the monthly report scanned the
    # table: 3× slower at 100,000 tickets). Declared in Meta since tickets 0011 / dispatch 0004 /
    # followups 0006: every index the models declare must be in the migrated database.
    from django.apps import apps

    missing = []
    with connection.cursor() as c:
        for model in apps.get_models():
            if not model._meta.managed or not model._meta.indexes:
                continue
            present = set(connection.introspection.get_constraints(c, model._meta.db_table))
            missing += [f"{model._meta.db_table}.{i.name}" for i in model._meta.indexes if i.name not in present]
    assert missing == []
    for name in ("reports_ticket_res_cover_idx", "reports_ticket_closed_idx", "reports_ticket_fr_created_idx",
                 "ticket_complaint_created_idx", "ticket_fault_resolved_idx", "reports_wo_signed_idx",
                 "reports_callback_due_idx"):
        assert any(i.name == name for model in apps.get_models() for i in model._meta.indexes), name


@sqlite_only
def test_backlog_and_flow_read_the_report_indexes():
    from datetime import datetime, timezone as tz

    from tickets.models import Ticket
    from tickets.selectors import tickets_touched

    moment = datetime(2026, 11, 1, tzinfo=tz.utc)
    base = Ticket.objects.filter(created_at__lt=moment).exclude(status="cancelled")
    p = plan(base.filter(resolved_at__gte=moment).values_list("created_at"))
    assert "reports_ticket_res_cover_idx" in p and "SCAN tickets_ticket" not in p
    p = plan(Ticket.objects.filter(tickets_touched(start=moment, end=datetime(2026, 12, 1, tzinfo=tz.utc)))
             .values("kind").order_by())
    assert "reports_ticket_closed_idx" in p and "SCAN tickets_ticket" not in p
