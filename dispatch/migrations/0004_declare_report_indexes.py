"""The reports' indexes on dispatch_workorder, declared in WorkOrder.Meta (see tickets 0011: raw-SQL
indexes are lost when SQLite rebuilds the table). Creates whichever is missing."""
from django.db import migrations, models

INDEXES = [
    models.Index(fields=["signed_at"], name="reports_wo_signed_idx"),
    models.Index(fields=["asset", "created_at"], name="reports_wo_asset_created_idx"),
]


def create_missing(apps, schema_editor):
    model = apps.get_model("dispatch", "WorkOrder")
    with schema_editor.connection.cursor() as cursor:
        present = set(schema_editor.connection.introspection.get_constraints(cursor, model._meta.db_table))
    for index in INDEXES:
        if index.name not in present:
            schema_editor.add_index(model, index)


class Migration(migrations.Migration):

    dependencies = [
        ("dispatch", "0003_skill_part_english_name"),
        ("reports", "0009_drop_slaclock_decided_idx"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(create_missing, migrations.RunPython.noop)],
            state_operations=[migrations.AddIndex(model_name="workorder", index=index) for index in INDEXES],
        ),
    ]
