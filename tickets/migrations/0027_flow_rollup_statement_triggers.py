"""PostgreSQL keeps the ticket-flow rollup with statement-level triggers (tickets/flow_sql.py): one INSERT per
UPDATE, INSERT or DELETE statement, summed per key, instead of one trigger call per row. The figures are unchanged:
the rows already appended stay, and the old triggers are replaced in this migration's transaction, so no write
is counted twice or missed. SQLite keeps its row triggers (it folds each row into its key as it goes)."""

from django.db import migrations


def statement_triggers(apps, schema_editor):
    from tickets import flow_sql

    vendor = schema_editor.connection.vendor
    if vendor != "postgresql":
        return
    for sql in [*flow_sql.drop_sql(vendor), *flow_sql.create_sql(vendor, backlog=False)]:
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("tickets", "0026_ticketevent_ticket_single_index_dropped"),
    ]

    # Backwards: the statement triggers keep the same figures as the row triggers did, so they stay.
    operations = [migrations.RunPython(statement_triggers, migrations.RunPython.noop)]
