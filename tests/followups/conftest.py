"""Fixtures for callbacks and surveys: tickets through the tickets services, pinned clocks."""
import pytest
from fu_helpers import at


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
