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

from reports import selectors
from reports.periods import period_containing
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
def test_sla_compliance_reads_decided_index_alone():
    period = period_containing("month", date(2026, 11, 17))
    qs = selectors._clock_counts(period, period.previous(), None)
    assert "COVERING INDEX reports_slaclock_decided_idx" in plan(qs)


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
