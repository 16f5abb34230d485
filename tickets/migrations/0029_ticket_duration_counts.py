"""Counts of tickets per UTC day, team, measure (first response, resolution) and time bucket, kept by PostgreSQL
statement triggers (tickets/duration_sql.py), for the monthly report's exact percentiles. The table exists on every
database; the function, triggers, indexes and the backfill are PostgreSQL's only (SQLite sorts the period's times)."""

from django.db import migrations, models


def install(apps, schema_editor):
    from tickets import duration_sql

    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in [*duration_sql.create_sql(), *duration_sql.backfill_sql()]:
        schema_editor.execute(sql, params=None)


def uninstall(apps, schema_editor):
    from tickets import duration_sql

    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in duration_sql.drop_sql():
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("tickets", "0028_ticket_fk_single_indexes_dropped"),
    ]

    operations = [
        migrations.CreateModel(
            name="TicketDurationCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField()),
                ("team_key", models.BigIntegerField(default=0)),
                ("measure", models.SmallIntegerField()),
                ("bucket", models.IntegerField()),
                ("n", models.IntegerField(default=0)),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("day", "team_key", "measure", "bucket"),
                                                        name="tickets_duration_key")],
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
