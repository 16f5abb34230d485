"""A real Celery worker over Redis delivers a webhook through the outbox's fast path, once, after commit."""
import pytest

from servicedesk.models import OutboxMessage
from servicedesk.outbox import outbox_sweep
from tests.conftest import wait_for
from tickets.services import ticket_create
from webhooks.delivery import verify
from webhooks.models import WebhookDelivery


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_worker_delivers_the_webhook_once(real_worker, make_webhook, customer_factory, personas, receiver):
    # given a webhook for "ticket opened"
    hook = make_webhook(events=["ticket.opened"])
    # when a ticket is opened (the delivery task is queued on commit and a real worker takes it)
    ticket = ticket_create(customer=customer_factory(name="Kong Hui"), kind="repair", subject="Noise",
                           created_by=personas.frontdesk)
    # then the receiver gets it, signed, and the outbox row is marked sent
    assert wait_for(lambda: OutboxMessage.objects.filter(channel="webhook", status="sent").exists(), timeout=30)
    (got,) = receiver.requests
    assert got.json["data"]["ticket"]["number"] == ticket.number
    assert verify(hook.secret, got.headers["X-ServiceDesk-Timestamp"], got.body, got.headers["X-ServiceDesk-Signature"])
    assert WebhookDelivery.objects.get().status_code == 200
    # and the sweep afterwards (the safety net) has nothing more to send to it
    outbox_sweep()
    assert len(receiver.requests) == 1
