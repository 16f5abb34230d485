import pytest

from tickets.models import Ticket
from tickets.services import ticket_create


@pytest.fixture
def ticket_factory(customer_factory, personas):
    def _make(kind=Ticket.Kind.REPAIR, customer=None, subject="Printer jams", **kwargs):
        kwargs.setdefault("created_by", personas.frontdesk)
        return ticket_create(customer=customer or customer_factory(), kind=kind, subject=subject, **kwargs)

    return _make
