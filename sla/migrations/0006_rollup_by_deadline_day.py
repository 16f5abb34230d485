"""The daily rollup is keyed by the day a clock is DUE (its deadline), for every target.

It was keyed by the day the clock started and held first response and resolution only, while the
reports counted clocks by the day they stopped: the same month gave two compliance figures. Now
both read sla.selectors.compliance_cells ("clocks due in the period, including those still running
past their deadline"); this recomputes the rows under the new key.
"""
from django.db import migrations


def rebuild(apps, schema_editor):
    from sla import rollup

    rollup.rebuild(apps=apps)


class Migration(migrations.Migration):
    dependencies = [('sla', '0005_escalation_notified')]

    operations = [migrations.RunPython(rebuild, migrations.RunPython.noop)]
