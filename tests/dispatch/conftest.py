"""Dispatch fixtures: skills, regions, technicians and work orders built through the services."""
from datetime import timedelta
from decimal import Decimal

import pytest

from customers.models import Asset, Region
from dispatch import services
from dispatch.models import DispatchSettings, Level, Part, Skill, StockLevel, Technician
from tests.dispatch.dispatch_helpers import NOW, make_user



@pytest.fixture
def now():
    return NOW


@pytest.fixture
def dsettings(db):
    return DispatchSettings.load()


@pytest.fixture
def region(db):
    return Region.objects.create(name="Chaoyang", code="chaoyang")


@pytest.fixture
def other_region(db):
    return Region.objects.create(name="Miyun", code="miyun", is_rural=True)


@pytest.fixture
def skill(db):
    return Skill.objects.create(name="Air conditioning", code="aircon")


@pytest.fixture
def other_skill(db):
    return Skill.objects.create(name="Elevators", code="elevator")


@pytest.fixture
def tech_factory(db, skill, region):
    counter = {"n": 0}

    def _make(name=None, *, level=Level.SENIOR, skills=None, regions=None, user=None, last_assigned_at=None):
        counter["n"] += 1
        if user is None:
            user = make_user(name or f"tech{counter['n']}", "technician")
        tech = Technician.objects.create(user=user, level=level, last_assigned_at=last_assigned_at)
        tech.skills.set(skills if skills is not None else [skill])
        tech.regions.set(regions if regions is not None else [region])
        return tech

    return _make


@pytest.fixture
def ticket_factory(db, personas, customer_factory, region):
    from tickets.services import ticket_create

    def _make(*, in_warranty=True, customer=None, now=NOW):
        customer = customer or customer_factory(name="王芳", address="朝阳区建国路 88 号", region=region)
        asset = Asset.objects.create(
            customer=customer, product="Air conditioner", model="KFR-35GW", serial_number="SN1",
            warranty_end=(now + timedelta(days=100)).date() if in_warranty else (now - timedelta(days=1)).date(),
        )
        return ticket_create(customer=customer, kind="repair", subject="Not cooling", created_by=personas.agent,
                             asset=asset, now=now)

    return _make


@pytest.fixture
def wo_factory(db, personas, ticket_factory, skill):
    def _make(*, ticket=None, value="1000", start=None, hours=2, in_warranty=True, skill_=None, now=NOW, **kw):
        ticket = ticket or ticket_factory(in_warranty=in_warranty, now=now)
        start = start or now + timedelta(hours=2)
        return services.workorder_create(
            ticket=ticket, created_by=personas.agent, skill=skill_ or skill, estimated_value=Decimal(value),
            window_start=start, window_end=start + timedelta(hours=hours), now=now, **kw,
        )

    return _make


@pytest.fixture
def part(db):
    p = Part.objects.create(sku="CAP-35", name="Compressor capacitor", unit_price=Decimal("45"))
    StockLevel.objects.create(part=p, quantity=3)
    return p




@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def personas(db):
    """The shared personas, created without re-syncing every role's permissions per user (faster)."""
    from tests.conftest import Personas

    class FastPersonas(Personas):
        def _get(self, key, role):
            if key not in self._cache:
                self._cache[key] = make_user(key, role)
            return self._cache[key]

    return FastPersonas()
