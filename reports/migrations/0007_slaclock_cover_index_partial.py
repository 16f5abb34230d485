"""The SLA compliance index of 0006 becomes partial (decided clocks only: met IS NOT NULL).

A full index led by stopped_at let SQLite's planner answer the dashboard's at-risk list
("stopped_at IS NULL … ORDER BY deadline", sla/selectors.clocks_at_risk) with it, by equality on
stopped_at, plus a sort, instead of SLA's partial index sla_clock_running_idx. A clock with
met IS NOT NULL has stopped, so the running-clock queries can never use this index, while
the report's query ("stopped_at in the period AND met IS NOT NULL") still matches it on both
SQLite and PostgreSQL. The index is also smaller: running and undecided clocks are left out.
"""
from django.db import migrations

FULL = "CREATE INDEX IF NOT EXISTS reports_slaclock_stopped_cover_idx ON sla_slaclock (stopped_at, target, met);"
PARTIAL = (
    "CREATE INDEX IF NOT EXISTS reports_slaclock_decided_idx ON sla_slaclock (stopped_at, target, met) "
    "WHERE met IS NOT NULL;"
)


class Migration(migrations.Migration):
    dependencies = [("reports", "0006_slaclock_cover_index")]

    operations = [
        migrations.RunSQL(PARTIAL, "DROP INDEX IF EXISTS reports_slaclock_decided_idx;"),
        migrations.RunSQL("DROP INDEX IF EXISTS reports_slaclock_stopped_cover_idx;", FULL),
    ]
