from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

TZ = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 16)


def at(y, mo, d, h=10, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=TZ)


@pytest.fixture
def level(db):
    from contracts.models import ContractLevel

    return ContractLevel.objects.get(code="standard")


@pytest.fixture
def managed_customer(personas, customer_factory):
    """A customer whose account manager is the agent persona."""
    from customers.models import Customer

    customer = customer_factory(name="Hua Industries")
    Customer.objects.filter(pk=customer.pk).update(account_manager=personas.agent)
    customer.refresh_from_db()
    return customer


@pytest.fixture
def make_contract(personas, level):
    from contracts.services import contract_save

    def _make(customer, *, end, start=date(2025, 1, 1), assets=(), by=None, price=Decimal("1000")):
        return contract_save(by=by or personas.supervisor, customer=customer, level=level, start_date=start,
                             end_date=end, price=price, notes="", assets=assets)

    return _make
