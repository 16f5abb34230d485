"""Demo anomaly rules (development only): one active rule of each kind. Idempotent: a rule is made only
when no rule of that name exists. servicedesk's load_demo finds this module by itself (it runs every
app's demo.load in INSTALLED_APPS order), so the alerts appear on the board at the next 5-minute run."""
from decimal import Decimal

from django.contrib.auth import get_user_model

from .models import AnomalyRule
from .services import rule_create

K = AnomalyRule.Kind
DEMO_RULES = [
    ("处理时长异常 / Handling time 2× norm", K.HANDLING_TIME, {"threshold": 3, "factor": Decimal("2.00")}),
    ("一天两个低分 / Two low scores in a day", K.LOW_SCORES, {"threshold": 2, "max_score": 2}),
    ("有效投诉 / Valid complaint today", K.VALID_COMPLAINT, {"threshold": 1}),
    ("超时风险工单过多 / More than 3 tickets at risk", K.SLA_AT_RISK, {"threshold": 3}),
]


def load(*, stdout=None, options=None, now=None) -> int:
    manager = get_user_model().objects.filter(username="manager").first()
    if manager is None:
        if stdout:
            stdout.write("Monitoring: demo manager missing, skipped.")
        return 0
    made = 0
    for name, kind, numbers in DEMO_RULES:
        if not AnomalyRule.objects.filter(name=name).exists():
            rule_create(actor=manager, name=name, kind=kind, now=now, **numbers)
            made += 1
    if stdout:
        stdout.write(f"Monitoring: {made} anomaly rules added.")
    return made
