"""Maintenance fixtures: a key account with an account manager, a region, a skill, a technician."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

TZ = ZoneInfo("Asia/Shanghai")
# A Monday in the off-season (dispatch caps: 2 open jobs).
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=TZ)


@pytest.fixture
def region(db):
    from customers.models import Region

    return Region.objects.create(name="朝阳", name_en="Chaoyang", code="chaoyang")


@pytest.fixture
def skill(db):
    from dispatch.models import Skill

    return Skill.objects.create(name="空调", name_en="Air conditioning", code="aircon")


@pytest.fixture
def technician(db, personas, skill, region):
    from dispatch.models import Level, Technician

    tech = Technician.objects.create(user=personas.technician, level=Level.SENIOR)
    tech.skills.set([skill])
    tech.regions.set([region])
    return tech


@pytest.fixture
def account(customer_factory, personas, region):
    """A key account whose account manager is the agent persona."""
    customer = customer_factory(name="Acme Mall", address="Jianguo Road 88", region=region)
    customer.account_manager = personas.agent
    customer.save(update_fields=["account_manager"])
    return customer


@pytest.fixture
def plan_factory(personas, skill):
    from maintenance.services import plan_create

    def _make(customer, *, now=NOW, **fields):
        fields.setdefault("title", "Chiller service")
        fields.setdefault("kind", "months")
        fields.setdefault("interval_months", 1)
        fields.setdefault("start_on", date(2026, 3, 5))
        fields.setdefault("checklist", "Clean filters\nCheck refrigerant pressure\nTest alarms")
        fields.setdefault("skill", skill)
        return plan_create(customer=customer, created_by=personas.supervisor, now=now, **fields)

    return _make
