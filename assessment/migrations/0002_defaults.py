"""The department's assessment form and rules as the documents give them (issue 18): 14 items in three
parts, each 0–5, form maximum 60; supervisor 50, marketing head 20, production head 20, peers 10;
reward ¥50 at full score; −5 per valid complaint; below 80 three months running → review."""
from decimal import Decimal

from django.db import migrations

PARTS = [
    ("心态", "Attitude", [
        ("责任心与主动性", "Responsibility and initiative", "first_contact_resolution"),
        ("服务意识与服务态度", "Service awareness and attitude", "csat"),
        ("遵守规章制度，服从工作安排", "Follows rules and accepts assignments", ""),
        ("改进工作，提出合理化建议", "Improves work and proposes suggestions", ""),
    ]),
    ("技能", "Skills", [
        ("产品知识", "Product knowledge", ""),
        ("主动跟进项目，与各部门沟通", "Proactive project follow-up and communication with departments", "sla_at_risk"),
        ("安装维修处理及时", "Installation and repair handled timely", "first_response_compliance"),
        ("项目记录清晰", "Project records kept clearly", ""),
        ("样品管理", "Sample management", ""),
        ("投诉处理合理及时", "Complaints handled reasonably and on time", "valid_complaints"),
        ("与客户主动、及时、有效沟通", "Proactive, timely, effective communication with customers", "callbacks_on_time"),
        ("如实转达客户意见", "Passes on customers' opinions without distortion", ""),
    ]),
    ("服务品质", "Service quality", [
        ("与客户及各部门的关系，团队精神", "Relations with customers and departments, team spirit", ""),
        ("维护客户关系，收集客户信息，提供附加价值",
         "Maintains customer relations, collects customer information, gives extra value", "avg_handling_seconds"),
    ]),
]

KINDS = [
    ("supervisor", "直属主管", "Supervisor", Decimal("50")),
    ("marketing", "市场部负责人", "Marketing head", Decimal("20")),
    ("production", "生产部负责人", "Production head", Decimal("20")),
    ("peer", "同事", "Peers", Decimal("10")),
]


def load(apps, schema_editor):
    Settings = apps.get_model("assessment", "AssessmentSettings")
    Part = apps.get_model("assessment", "FormPart")
    Item = apps.get_model("assessment", "FormItem")
    Kind = apps.get_model("assessment", "EvaluatorKind")
    Settings.objects.get_or_create(pk=1, defaults={
        "form_max": 60, "complaint_points": Decimal("5"), "reward_amount": Decimal("50"),
        "threshold": Decimal("80"), "flag_months": 3})
    if not Part.objects.exists():
        for p_order, (zh, en, items) in enumerate(PARTS, start=1):
            part = Part.objects.create(name=zh, name_en=en, order=p_order)
            for i_order, (izh, ien, fact) in enumerate(items, start=1):
                Item.objects.create(part=part, name=izh, name_en=ien, order=i_order, max_points=5, fact=fact)
    for order, (code, zh, en, weight) in enumerate(KINDS, start=1):
        Kind.objects.get_or_create(code=code, defaults={"name": zh, "name_en": en, "weight": weight, "order": order})


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
