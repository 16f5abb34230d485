"""SQLite keeps the ticket-flow rollup folded as it is written (tickets/flow_sql.py: a unique key and upserting
triggers): the triggers are put back that way and the rollup recounted. PostgreSQL keeps appending."""
from django.db import migrations


def reinstall(apps, schema_editor):
    from tickets import flow_sql

    vendor = schema_editor.connection.vendor
    if vendor != "sqlite":
        return
    for sql in [*flow_sql.drop_sql(vendor), *flow_sql.backfill_sql(vendor, backlog=False),
                *flow_sql.create_sql(vendor, backlog=False)]:
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0023_ticket_flow_rollup'),
    ]

    operations = [
        migrations.RunPython(reinstall, migrations.RunPython.noop),
    ]
