"""Drop reports_slaclock_decided_idx (0007): the reports no longer count SLA clocks by the day they
stopped. SLA compliance is one definition in sla.selectors.compliance_cells (clocks due in the
period, read from SLA's daily rollup plus SLA's own running-clock index), so the reports need no
index of their own on SLA's table (each app declares the indexes its tables need)."""
from django.db import migrations

PARTIAL = (
    "CREATE INDEX IF NOT EXISTS reports_slaclock_decided_idx ON sla_slaclock (stopped_at, target, met) "
    "WHERE met IS NOT NULL;"
)


class Migration(migrations.Migration):
    dependencies = [("reports", "0008_workorder_revisit_index")]

    operations = [migrations.RunSQL("DROP INDEX IF EXISTS reports_slaclock_decided_idx;", PARTIAL)]
