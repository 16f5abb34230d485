"""Issue 17: the default SLA policy for the new installation kind (first answer in 24 hours, installed within 5
working days). Only that policy is added: defaults a manager deleted stay deleted."""
from django.db import migrations


def forwards(apps, schema_editor):
    from sla.defaults import install_policies

    install_policies(apps.get_model("sla", "SLAPolicy"), apps.get_model("sla", "SLATarget"), only=("Installation",))


class Migration(migrations.Migration):
    dependencies = [
        ("sla", "0008_daily_compliance_cover_index"),
        ("tickets", "0013_installation_kind"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
