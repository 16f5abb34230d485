# The single-column indexes Django made for Ticket.customer, .assignee and .team duplicate the leads of
# ticket_customer_idx (customer, created_at), ticket_assignee_idx (assignee, status, created_at) and
# ticket_team_idx (team, status, created_at): every ticket written, and every row the SLA sweep's priority
# raise rewrites on PostgreSQL, paid three more index entries (issue 14). Dropped by name, as in 0026: altering
# the fields would rebuild the table on SQLite and re-check the foreign keys on PostgreSQL, for the same end.
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

INDEXES = {
    "customer": ("tickets_ticket_customer_id_f2d9135a", "customer_id"),
    "assignee": ("tickets_ticket_assignee_id_3a5aa407", "assignee_id"),
    "team": ("tickets_ticket_team_id_5a4e7469", "team_id"),
}


class Migration(migrations.Migration):

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("customers", "0001_initial"),
        ("servicedesk", "0001_initial"),
        ("tickets", "0027_flow_rollup_statement_triggers"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="ticket", name="customer",
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                            related_name="tickets", to="customers.customer", verbose_name="customer"),
                ),
                migrations.AlterField(
                    model_name="ticket", name="assignee",
                    field=models.ForeignKey(blank=True, db_index=False, null=True,
                                            on_delete=django.db.models.deletion.PROTECT,
                                            related_name="assigned_tickets", to=settings.AUTH_USER_MODEL,
                                            verbose_name="assignee"),
                ),
                migrations.AlterField(
                    model_name="ticket", name="team",
                    field=models.ForeignKey(blank=True, db_index=False, null=True,
                                            on_delete=django.db.models.deletion.PROTECT, related_name="tickets",
                                            to="servicedesk.team", verbose_name="team"),
                ),
            ],
            database_operations=[
                migrations.RunSQL(f'DROP INDEX IF EXISTS "{name}"',
                                  reverse_sql=f'CREATE INDEX "{name}" ON "tickets_ticket" ("{column}")')
                for name, column in INDEXES.values()
            ],
        ),
    ]
