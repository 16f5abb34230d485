"""Counts of complaints per UTC day of their ticket's opening, team, category and department, with the times to
investigation and to the solution summed, kept by PostgreSQL statement triggers on the tickets and the complaints
(tickets/complaint_sql.py), for the monthly report's complaints section. The table exists on every database; the
triggers and the backfill are PostgreSQL's only (SQLite counts the complaints)."""

from django.db import migrations, models


def install(apps, schema_editor):
    from tickets import complaint_sql

    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in [*complaint_sql.create_sql(), *complaint_sql.backfill_sql()]:
        schema_editor.execute(sql, params=None)


def uninstall(apps, schema_editor):
    from tickets import complaint_sql

    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in complaint_sql.drop_sql():
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("tickets", "0030_flow_rollup_backlog"),
    ]

    operations = [
        migrations.CreateModel(
            name="TicketComplaintCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField()),
                ("team_key", models.BigIntegerField(default=0)),
                ("category", models.CharField(max_length=12)),
                ("department_key", models.BigIntegerField(default=0)),
                ("n", models.IntegerField(default=0)),
                ("inv_n", models.IntegerField(default=0)),
                ("inv_us", models.BigIntegerField(default=0)),
                ("sol_n", models.IntegerField(default=0)),
                ("sol_us", models.BigIntegerField(default=0)),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("day", "team_key", "category", "department_key"),
                                                        name="tickets_complaint_count_key")],
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
