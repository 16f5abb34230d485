"""The public-pages settings row exists from the start, so reading it on a cold cache is one SELECT."""
from django.db import migrations


def create(apps, schema_editor):
    apps.get_model("portal", "PortalSettings").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("portal", "0002_visit_reminder")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
