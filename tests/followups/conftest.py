"""Fixtures for callbacks and surveys: tickets through the tickets services, pinned clocks."""
import pytest
from .fu_helpers import at


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Personas are created with a password; PBKDF2 costs ~0.5 s per user on this machine.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _local_cache(settings):
    """Each test gets its own in-memory cache (rate limiting must not leak between tests)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"followups-{id(settings)}"}}
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_ticket(customer_factory, personas):
    """A ticket opened (and optionally resolved) through tickets.services."""
    from tickets.services import ticket_create, ticket_transition

    def _make(*, kind="repair", resolve_at=None, customer=None, assignee="agent", opened_at=None, subject="Air conditioner not cooling",
              **kwargs):
        customer = customer or customer_factory(name=kwargs.pop("customer_name", "Li Wei"))
        opened_at = opened_at or (resolve_at and resolve_at.replace(hour=9, minute=0)) or at(2026, 11, 16, 9)
        ticket = ticket_create(customer=customer, kind=kind, subject=subject, created_by=personas.frontdesk,
                               assignee=personas.by_role(assignee) if assignee else None, now=opened_at, **kwargs)
        if resolve_at is not None:
            ticket = ticket_transition(ticket=ticket, to_status="resolved", actor=ticket.assignee or personas.agent,
                                       now=resolve_at)
        return ticket

    return _make


@pytest.fixture
def close_work_order(personas, customer_factory):
    """A repair ticket with one work order taken through dispatch to closed (workorder_close sends
    workorder_closed and then resolves the ticket). The field steps in between (offer, arrival,
    signature) are dispatch's to test; here the order is put in "signed off" state directly."""
    from decimal import Decimal

    from customers.models import Region
    from dispatch import services as ds
    from dispatch.models import Skill, Technician, WorkOrder
    from tickets.services import ticket_create

    def _close(*, closed_at, kind="repair", signed_at=None):
        region = Region.objects.get_or_create(code="chaoyang", defaults={"name": "Chaoyang"})[0]
        customer = customer_factory(name="王芳", address="朝阳区建国路 88 号", region=region)
        opened = closed_at.replace(hour=9, minute=0)
        ticket = ticket_create(customer=customer, kind=kind, subject="空调不制冷", created_by=personas.agent,
                               assignee=personas.agent, now=opened)
        skill = Skill.objects.get_or_create(code="aircon", defaults={"name": "Air conditioning"})[0]
        tech = Technician.objects.get_or_create(user=personas.technician)[0]
        wo = ds.workorder_create(ticket=ticket, created_by=personas.agent, skill=skill,
                                 estimated_value=Decimal("800"), window_start=opened, window_end=closed_at,
                                 now=opened)
        WorkOrder.objects.filter(pk=wo.pk).update(status="done", technician=tech, signed_at=signed_at or closed_at,
                                                   signed_by_name="王芳", work_done="Refilled refrigerant")
        wo.refresh_from_db()
        ds.workorder_close(work_order=wo, actor=personas.supervisor, now=closed_at)
        ticket.refresh_from_db()
        return wo, ticket

    return _close
