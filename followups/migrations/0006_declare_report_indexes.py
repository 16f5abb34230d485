"""The reports' index on followups_callback, declared in Callback.Meta (see tickets 0011: raw-SQL
indexes are lost when SQLite rebuilds the table). Creates it if missing."""
from django.db import migrations, models

INDEX = models.Index(fields=["due_at"], name="reports_callback_due_idx")


def create_missing(apps, schema_editor):
    model = apps.get_model("followups", "Callback")
    with schema_editor.connection.cursor() as cursor:
        present = set(schema_editor.connection.introspection.get_constraints(cursor, model._meta.db_table))
    if INDEX.name not in present:
        schema_editor.add_index(model, INDEX)


class Migration(migrations.Migration):

    dependencies = [
        ("followups", "0005_survey_delivery_via_outbox"),
        ("reports", "0009_drop_slaclock_decided_idx"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(create_missing, migrations.RunPython.noop)],
            state_operations=[migrations.AddIndex(model_name="callback", index=INDEX)],
        ),
    ]
