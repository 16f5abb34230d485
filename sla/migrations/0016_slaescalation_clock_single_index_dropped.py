# The single-column index Django made for SLAEscalation.clock duplicates the lead of the unique
# (clock, level); every escalation written paid another random index page (issue 14). Dropped by
# name (altering the field would rebuild the table on SQLite and re-check the foreign key on
# PostgreSQL, for the same end).
import django.db.models.deletion
from django.db import migrations, models

INDEX = "sla_slaescalation_clock_id_08e90a9f"


class Migration(migrations.Migration):

    dependencies = [
        ("sla", "0015_daily_compliance_dims"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="slaescalation",
                    name="clock",
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                            related_name="escalations", to="sla.slaclock"),
                ),
            ],
            database_operations=[
                migrations.RunSQL(f'DROP INDEX IF EXISTS "{INDEX}"',
                                  reverse_sql=f'CREATE INDEX "{INDEX}" ON "sla_slaescalation" ("clock_id")'),
            ],
        ),
    ]
