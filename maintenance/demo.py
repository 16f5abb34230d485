"""Demo maintenance plans for a few key accounts (their account manager: the demo agent when they have
none yet), and the sweep run once so the pages show visits. Idempotent: a plan is made once per
(customer, title); the sweep creates each occurrence once."""
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from customers.models import Customer
from dispatch.models import Skill

from . import services
from .models import MaintenancePlan

PLANS = [
    # title, kind, interval, month_days, skill code, checklist
    ("中央空调季度保养", "quarterly", None, [], "aircon", "清洗过滤网\n检查冷媒压力\n测试报警装置"),
    ("夏季高峰前检修", "seasonal", None, [[5, 20], [11, 15]], "fridge", "检查压缩机\n清洁冷凝器\n记录运行温度"),
    ("电梯月度检查", "months", 1, [], "elevator", "检查门机\n测试紧急呼叫\n润滑导轨"),
]


def load(*, stdout, options):
    User = get_user_model()
    agent, supervisor = User.objects.filter(username="agent").first(), User.objects.filter(username="supervisor").first()
    skills = {s.code: s for s in Skill.objects.all()}
    if agent is None or supervisor is None or not skills:
        return
    customers = list(Customer.objects.filter(merged_into__isnull=True, region__isnull=False)
                     .exclude(address="").order_by("-is_key_account", "pk")[:len(PLANS)])
    today = timezone.localdate()
    made = 0
    for customer, (title, kind, interval, month_days, code, checklist) in zip(customers, PLANS):
        if code not in skills:
            continue
        if customer.account_manager_id is None:
            customer.account_manager = agent
            customer.save(update_fields=["account_manager"])
        if MaintenancePlan.objects.filter(customer=customer, title=title).exists():
            continue
        services.plan_create(customer=customer, created_by=supervisor, title=title, kind=kind,
                             interval_months=interval, month_days=month_days,
                             start_on={"quarterly": date(today.year, today.month, 1), "seasonal": today}.get(
                                 kind, today + timedelta(days=3)),  # the monthly one: a visit this week
                             checklist=checklist, skill=skills[code])
        made += 1
    result = services.visits_create_due()
    stdout.write(f"Maintenance: {made} plans, {result.visits} visits created.")
