"""A real Celery worker over Redis sends replies enqueued on commit; a failed send keeps the reply."""

import pytest
from django.core import mail

from tests.conftest import wait_for
from tickets.models import TicketReply
from tickets.services import ticket_create, ticket_reply




@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_worker_emails_reply_after_commit(real_worker, customer_factory, personas):
    # given
    mail.outbox = []
    ticket = ticket_create(customer=customer_factory(email="kh@example.com"), kind="repair", subject="Noise",
                           created_by=personas.frontdesk)
    # when (autocommit: the on-commit hook fires at once and publishes to Redis)
    reply = ticket_reply(ticket=ticket, author=personas.agent, body="Technician comes at 3 pm", public=True)
    # then the worker, not this thread, sends it
    assert wait_for(lambda: TicketReply.objects.get(pk=reply.pk).delivery_status == "sent")
    # (the customer's acknowledgement of the new ticket is e-mailed too: tests/portal)
    assert [m.to for m in mail.outbox if "Technician comes at 3 pm" in m.body] == [["kh@example.com"]]


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_worker_failure_keeps_reply_for_retry(real_worker, customer_factory, personas, settings):
    settings.EMAIL_BACKEND = "tests.tickets.broken_mail.Backend"
    ticket = ticket_create(customer=customer_factory(email="kh@example.com"), kind="repair", subject="Noise",
                           created_by=personas.frontdesk)
    reply = ticket_reply(ticket=ticket, author=personas.agent, body="Answer", public=True)
    assert wait_for(lambda: TicketReply.objects.get(pk=reply.pk).delivery_status == "failed")
    reply.refresh_from_db()
    assert reply.body == "Answer" and "SMTP down" in reply.last_error
    from servicedesk.models import OutboxMessage

    row = OutboxMessage.objects.get(source_type="tickets.ticketreply", source_id=reply.pk)
    assert row.status == "pending" and row.next_attempt_at is not None
