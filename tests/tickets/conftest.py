import pytest

from tickets.models import Department, FaultCause, Ticket
from tickets.services import ticket_create


@pytest.fixture
def ticket_factory(customer_factory, personas):
    """Open tickets through the service (customer made on demand)."""

    def _make(kind=Ticket.Kind.REPAIR, customer=None, subject="Printer jams", **kwargs):
        kwargs.setdefault("created_by", personas.frontdesk)
        return ticket_create(customer=customer or customer_factory(), kind=kind, subject=subject, **kwargs)

    return _make


@pytest.fixture
def fault_cause(db):
    return FaultCause.objects.create(name="Worn part", code="worn-part")


@pytest.fixture
def department(db):
    return Department.objects.create(name="After-sales")
