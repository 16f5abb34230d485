import pytest
from django.core.exceptions import ValidationError

from tickets.models import Ticket
from tickets.services import ticket_create, ticket_transition

pytestmark = pytest.mark.django_db


def test_numbers_are_sequential_per_kind(customer_factory, personas):
    # given
    customer = customer_factory()
    # when
    a = ticket_create(customer=customer, kind=Ticket.Kind.REPAIR, subject="A", created_by=personas.frontdesk)
    b = ticket_create(customer=customer, kind=Ticket.Kind.REPAIR, subject="B", created_by=personas.frontdesk)
    c = ticket_create(customer=customer, kind=Ticket.Kind.COMPLAINT, subject="C", created_by=personas.frontdesk)
    # then
    year = a.created_at.year
    assert (a.number, b.number, c.number) == (f"SR-{year}-000001", f"SR-{year}-000002", f"CP-{year}-000001")


def test_illegal_transition_is_refused(customer_factory, personas):
    ticket = ticket_create(customer=customer_factory(), kind="inquiry", subject="Q", created_by=personas.agent)
    with pytest.raises(ValidationError):
        ticket_transition(ticket=ticket, to_status=Ticket.Status.CLOSED, actor=personas.agent)
