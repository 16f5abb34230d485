from django.db import migrations


def backfill(apps, schema_editor):
    from sla import rollup

    rollup.rebuild(apps=apps)


class Migration(migrations.Migration):
    dependencies = [("sla", "0003_daily_rollup"), ("tickets", "0001_initial"), ("customers", "0002_initial")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
