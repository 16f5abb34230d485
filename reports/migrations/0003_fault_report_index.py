"""Recurring faults read tickets resolved in a period that carry a fault cause: a partial index
over exactly those rows keeps the planner off the (unselective) fault_cause_id index."""
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("reports", "0002_report_query_indexes")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS reports_ticket_fault_resolved_idx ON tickets_ticket (resolved_at) "
            "WHERE fault_cause_id IS NOT NULL;",
            "DROP INDEX IF EXISTS reports_ticket_fault_resolved_idx;",
        ),
    ]
