"""Text search indexes that only PostgreSQL has (the model state does not change).

The list's search is `subject__icontains` / `number__icontains`, which Django writes as
`UPPER(col::text) LIKE UPPER('%q%')`: pg_trgm GIN indexes on exactly those expressions let
PostgreSQL answer it with a bitmap index scan instead of reading every ticket. SQLite skips this.
"""
from django.db import migrations

INDEXES = {
    "ticket_subject_upper_trgm_idx": "UPPER(subject::text)",
    "ticket_number_upper_trgm_idx": "UPPER(number::text)",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expr in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON tickets_ticket USING gin (({expr}) gin_trgm_ops)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_complaints_replies_attachments")]

    operations = [migrations.RunPython(forwards, backwards)]
