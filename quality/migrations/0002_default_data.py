"""The department's defaults (issue 18): demerit categories, severity levels and a starting checklist.
Managers change all of them in the admin; this only fills an empty table."""
from decimal import Decimal

from django.db import migrations

CATEGORIES = [
    ("接待被动或迟缓", "Passive or slow reception", "2", "20"),
    ("前台无人值守", "Desk left unattended", "2", "20"),
    ("电话三声未接或记录不清", "Phone not answered within three rings or notes unclear", "1", "10"),
    ("报表迟交或错误", "Late or wrong reports", "2", "20"),
    ("工作区不整洁", "Untidy workplace", "1", "10"),
    ("抄写错误", "Copying errors", "1", "10"),
    ("其他", "Other", "1", "0"),
]
LEVELS = [("light", "轻微", "Light", "1"), ("medium", "中等", "Medium", "3"), ("heavy", "严重", "Heavy", "5")]
CHECKLIST = [
    ("使用礼貌用语，服务态度良好", "Polite language and a good attitude"),
    ("准确记录客户信息和诉求", "Customer details and request recorded accurately"),
    ("告知客户工单号和答复时间", "Ticket number and promised answer time given to the customer"),
    ("按时首次响应并跟进", "First response and follow-up on time"),
    ("将处理结果答复客户", "Result replied to the customer"),
    ("记录完整、清晰", "Records complete and clear"),
    ("现场服务规范（仪容、整洁）", "On-site conduct (appearance, tidiness)"),
]


def forwards(apps, schema_editor):
    Category = apps.get_model("quality", "DemeritCategory")
    Level = apps.get_model("quality", "SeverityLevel")
    Item = apps.get_model("quality", "ChecklistItem")
    if not Category.objects.exists():
        Category.objects.bulk_create(
            Category(name=zh, name_en=en, default_points=Decimal(p), default_fine=Decimal(f), order=i)
            for i, (zh, en, p, f) in enumerate(CATEGORIES))
    if not Level.objects.exists():
        Level.objects.bulk_create(Level(code=code, name=zh, name_en=en, points=Decimal(p), order=i)
                                  for i, (code, zh, en, p) in enumerate(LEVELS))
    if not Item.objects.exists():
        Item.objects.bulk_create(Item(name=zh, name_en=en, order=i) for i, (zh, en) in enumerate(CHECKLIST))


class Migration(migrations.Migration):
    dependencies = [("quality", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
