"""The ticket-flow rollup also counts the backlog (tickets/flow_sql.py): a ticket not cancelled enters it at the hour
of its opening and leaves it at the hour of its first resolution or closing, so the report's backlog at a period's
end is the tickets open now less the sums from that hour on, instead of a count over the tickets. The triggers are
replaced and the rollup recounted in this migration's transaction; the covering index holds the two new counts."""

from django.db import migrations, models


def drop(apps, schema_editor):
    """First: SQLite rebuilds the rollup's table for the new columns, and renaming the rebuilt table fails while a
    trigger on the tickets refers to the dropped one."""
    from tickets import flow_sql

    for sql in flow_sql.drop_sql(schema_editor.connection.vendor):
        schema_editor.execute(sql, params=None)


def install(backlog: bool):
    def run(apps, schema_editor):
        from tickets import flow_sql

        vendor = schema_editor.connection.vendor
        for sql in [*flow_sql.drop_sql(vendor), *flow_sql.backfill_sql(vendor, backlog=backlog),
                    *flow_sql.create_sql(vendor, backlog=backlog)]:
            schema_editor.execute(sql, params=None)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("tickets", "0029_ticket_duration_counts"),
    ]

    operations = [
        migrations.RunPython(drop, install(False)),
        migrations.AddField(model_name="ticketflowdelta", name="backlog_in", field=models.IntegerField(default=0)),
        migrations.AddField(model_name="ticketflowdelta", name="backlog_out", field=models.IntegerField(default=0)),
        migrations.RemoveIndex(model_name="ticketflowdelta", name="tickets_flow_cover"),
        migrations.AddIndex(
            model_name="ticketflowdelta",
            index=models.Index(fields=["hour", "team_key", "kind", "priority", "opened", "resolved", "closed",
                                       "backlog_in", "backlog_out"], name="tickets_flow_cover"),
        ),
        migrations.RunPython(install(True), drop),
    ]
