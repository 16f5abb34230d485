"""Counts of contacts per UTC hour, handler, channel and direction, kept by PostgreSQL statement triggers on the
contacts (customers/contact_sql.py), for the monthly report's front-desk load. The table exists on every database;
the triggers and the backfill are PostgreSQL's only (SQLite counts the contacts)."""

from django.db import migrations, models


def install(apps, schema_editor):
    from customers import contact_sql

    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in [*contact_sql.create_sql(), *contact_sql.backfill_sql()]:
        schema_editor.execute(sql, params=None)


def uninstall(apps, schema_editor):
    from customers import contact_sql

    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in contact_sql.drop_sql():
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0019_customer_imports"),
    ]

    operations = [
        migrations.CreateModel(
            name="ContactHourCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("hour", models.DateTimeField()),
                ("handled_by_key", models.BigIntegerField()),
                ("channel", models.CharField(max_length=12)),
                ("direction", models.CharField(max_length=3)),
                ("n", models.IntegerField(default=0)),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("hour", "handled_by_key", "channel", "direction"),
                                                        name="contact_hour_count_key")],
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
