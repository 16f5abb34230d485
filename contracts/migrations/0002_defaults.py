"""The department's defaults (issue 17 §7): three contract levels and the three reminders ahead of a
contract's or a warranty's end — 60 days a task for the account manager, 7 days a notice, 3 days an SMS to
the customer. Managers change them in the administration; this only fills empty tables."""
from django.db import migrations

LEVELS = [("basic", "基础", "Basic"), ("standard", "标准", "Standard"), ("premium", "高级", "Premium")]
RULES = [(60, "task"), (7, "notice"), (3, "sms")]


def load(apps, schema_editor):
    Level = apps.get_model("contracts", "ContractLevel")
    Rule = apps.get_model("contracts", "ReminderRule")
    Settings = apps.get_model("contracts", "ContractSettings")
    if not Level.objects.exists():
        Level.objects.bulk_create(Level(code=code, name=zh, name_en=en, order=i)
                                  for i, (code, zh, en) in enumerate(LEVELS))
    if not Rule.objects.exists():
        Rule.objects.bulk_create(Rule(target=target, days_before=days, action=action)
                                 for target in ("contract", "warranty") for days, action in RULES)
    if not Settings.objects.exists():
        Settings.objects.create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("contracts", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
