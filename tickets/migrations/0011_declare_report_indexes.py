"""The reports' indexes on tickets_ticket, declared in Ticket.Meta (state only where they exist).

Reports migrations 0002–0005 created them as raw SQL, which Django's state did not know. On SQLite
any table rebuild (AlterField, a constraint: tickets 0010) recreates only declared indexes, so a
SQLite database migrated past 0010 had lost them and the monthly report scanned the table (~3×
slower at 100,000 tickets). Now declared: this migration creates whichever is missing, and future
rebuilds keep them. Two names are shortened to Django's 30-character limit: renamed in place on
PostgreSQL, recreated on SQLite.
"""
from django.db import migrations, models

RENAMED = [("reports_ticket_complaint_created_idx", "ticket_complaint_created_idx"),
           ("reports_ticket_fault_resolved_idx", "ticket_fault_resolved_idx")]
# Their definitions as reports 0005 and 0003 wrote them: SQLite cannot rename an index, so the way
# back recreates the old names.
OLD_SQL = {
    "reports_ticket_complaint_created_idx": "ON tickets_ticket (created_at, id) WHERE kind = 'complaint'",
    "reports_ticket_fault_resolved_idx": "ON tickets_ticket (resolved_at) WHERE fault_cause_id IS NOT NULL",
}

INDEXES = [
    models.Index(fields=["first_response_at", "created_at"], name="reports_ticket_fr_created_idx"),
    models.Index(fields=["resolved_at", "created_at", "closed_at", "status"], name="reports_ticket_res_cover_idx"),
    models.Index(fields=["closed_at"], name="reports_ticket_closed_idx"),
    models.Index(fields=["created_at", "id"], condition=models.Q(kind="complaint"), name="ticket_complaint_created_idx"),
    models.Index(fields=["resolved_at"], condition=models.Q(fault_cause__isnull=False), name="ticket_fault_resolved_idx"),
]


def create_missing(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        for old, new in RENAMED:
            schema_editor.execute(f"ALTER INDEX IF EXISTS {old} RENAME TO {new};")
    else:
        for old, _new in RENAMED:
            schema_editor.execute(f"DROP INDEX IF EXISTS {old};")
    model = apps.get_model("tickets", "Ticket")
    with connection.cursor() as cursor:
        present = set(connection.introspection.get_constraints(cursor, model._meta.db_table))
    for index in INDEXES:
        if index.name not in present:
            schema_editor.add_index(model, index)


def rename_back(apps, schema_editor):
    # Reports 0002–0005 own the indexes on the way down: give back their names, drop nothing else.
    for old, new in RENAMED:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER INDEX IF EXISTS {new} RENAME TO {old};")
        else:
            schema_editor.execute(f"DROP INDEX IF EXISTS {new};")
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {old} {OLD_SQL[old]};")


class Migration(migrations.Migration):

    dependencies = [
        ("tickets", "0010_ticket_priority_status_valid"),
        ("reports", "0009_drop_slaclock_decided_idx"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(create_missing, rename_back)],
            state_operations=[migrations.AddIndex(model_name="ticket", index=index) for index in INDEXES],
        ),
    ]
