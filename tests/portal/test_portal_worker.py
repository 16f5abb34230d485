"""The acknowledgement is delivered by a real Celery worker over Redis, exactly once, after commit."""
import pytest
from django.core import mail

from servicedesk.models import OutboxMessage
from servicedesk.outbox import outbox_sweep
from tests.conftest import wait_for
from tickets.services import ticket_create


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_worker_sends_the_acknowledgement_once(real_worker, customer_factory, personas):
    mail.outbox = []
    customer = customer_factory(name="Kong Hui", email="kh@example.com", preferred_channel="email")
    ticket = ticket_create(customer=customer, kind="repair", subject="Noise", created_by=personas.frontdesk)
    assert wait_for(lambda: OutboxMessage.objects.filter(kind="portal.ack", status="sent").exists())
    acks = [m for m in mail.outbox if ticket.number in m.body]
    assert len(acks) == 1 and acks[0].to == ["kh@example.com"] and "/t/" in acks[0].body
    # a sweep afterwards (the safety net) sends nothing more
    assert outbox_sweep()["claimed"] == 0
    assert len([m for m in mail.outbox if ticket.number in m.body]) == 1
