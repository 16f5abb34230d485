from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 16, 10, 0, tzinfo=TZ)


@pytest.fixture
def team(personas):
    from servicedesk.models import StaffProfile, Team

    team = Team.objects.create(name="销售组", name_en="Sales", supervisor=personas.supervisor)
    for user in (personas.agent, personas.agent2, personas.frontdesk):
        StaffProfile.objects.update_or_create(user=user, defaults={"team": team})
    return team


@pytest.fixture
def make_ticket(personas, customer_factory, team):
    from customers.models import Asset
    from tickets.services import ticket_create

    def _make(*, kind="inquiry", assignee=None, subject="Wants a quote for a heater", product=None):
        customer = customer_factory(name="Zhang San")
        asset = Asset.objects.create(customer=customer, product=product) if product else None
        return ticket_create(customer=customer, kind=kind, subject=subject, created_by=personas.frontdesk,
                             team=team, assignee=assignee if assignee is not None else personas.agent,
                             asset=asset, now=T0)
    return _make
