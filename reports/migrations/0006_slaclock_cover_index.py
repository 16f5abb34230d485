"""SLA compliance per target counts the clocks decided in a period by (target, met): with those
columns after stopped_at the count is an index-only scan. Replaces 0002's single-column index."""
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("reports", "0005_backlog_complaint_indexes")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS reports_slaclock_stopped_cover_idx ON sla_slaclock (stopped_at, target, met);",
            "DROP INDEX IF EXISTS reports_slaclock_stopped_cover_idx;",
        ),
        migrations.RunSQL(
            "DROP INDEX IF EXISTS reports_slaclock_stopped_idx;",
            "CREATE INDEX IF NOT EXISTS reports_slaclock_stopped_idx ON sla_slaclock (stopped_at);",
        ),
    ]
