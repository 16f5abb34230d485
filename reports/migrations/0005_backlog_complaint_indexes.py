"""Backlog at a moment and complaint figures, answered from indexes.

- Backlog (opened before the moment, not resolved/closed by then, not cancelled): with
  (resolved_at, created_at, closed_at, status) both branches of "resolved_at IS NULL OR
  resolved_at >= moment" are index ranges and every other condition is in the index: an index-only
  scan. The same index serves resolution percentiles (its prefix), so it replaces 0004's.
- Complaints of a period start from complaint tickets opened in it: a partial index over
  complaint tickets only (a quarter of the table or less) drives a nested loop into the complaint rows.
"""
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("reports", "0004_covering_time_indexes")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS reports_ticket_res_cover_idx "
            "ON tickets_ticket (resolved_at, created_at, closed_at, status);",
            "DROP INDEX IF EXISTS reports_ticket_res_cover_idx;",
        ),
        migrations.RunSQL(
            "DROP INDEX IF EXISTS reports_ticket_res_created_idx;",
            "CREATE INDEX IF NOT EXISTS reports_ticket_res_created_idx ON tickets_ticket (resolved_at, created_at);",
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS reports_ticket_complaint_created_idx "
            "ON tickets_ticket (created_at, id) WHERE kind = 'complaint';",
            "DROP INDEX IF EXISTS reports_ticket_complaint_created_idx;",
        ),
    ]
