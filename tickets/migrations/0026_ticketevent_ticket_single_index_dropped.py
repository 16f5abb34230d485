# The single-column index Django made for TicketEvent.ticket duplicates the lead of
# ticketevent_ticket_idx (ticket, created_at); every event written paid another random index page
# (issue 14). Dropped by name: altering the field would rebuild the table on SQLite and re-check the
# foreign key over every event on PostgreSQL, for the same end.
import django.db.models.deletion
from django.db import migrations, models

INDEX = "tickets_ticketevent_ticket_id_b572d14b"


class Migration(migrations.Migration):

    dependencies = [
        ("tickets", "0025_flow_rollup_covering_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="ticketevent",
                    name="ticket",
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                            related_name="events", to="tickets.ticket"),
                ),
            ],
            database_operations=[
                migrations.RunSQL(f'DROP INDEX IF EXISTS "{INDEX}"',
                                  reverse_sql=f'CREATE INDEX "{INDEX}" ON "tickets_ticketevent" ("ticket_id")'),
            ],
        ),
    ]
