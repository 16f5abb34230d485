"""Issue 11 §5: say what happened to a reply, show its delivery state, and text customers who have only a mobile."""
import pytest
from django.urls import reverse

from customers.services import PhoneInput, customer_create
from servicedesk.models import OutboxMessage
from servicedesk.outbox import outbox_sweep
from tests.outbox_transport import MemorySms
from tickets.models import TicketReply

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms(settings):
    settings.SMS_DELIVERY_BACKEND = "tests.outbox_transport.MemorySms"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    MemorySms.sent = []
    return MemorySms.sent


def _reply(client, ticket, body="A technician comes at 3 pm"):
    ticket.refresh_from_db()
    return client.post(reverse("tickets:action", args=[ticket.pk, "reply"]),
                       {"reply-version": ticket.version, "reply-body": body, "reply-public": "1"}, follow=True)


def test_reply_to_a_customer_with_only_a_mobile_goes_by_sms_once(client_for, ticket_factory, customer_factory, sms,
                                                                   django_capture_on_commit_callbacks):
    from django.core import mail

    ticket = ticket_factory(customer=customer_factory(phone="13912345678"))
    client = client_for("agent")
    # when the agent replies (the fast path runs on commit)
    with django_capture_on_commit_callbacks(execute=True):
        page = _reply(client, ticket).content.decode()
    # then the page says how it goes, the SMS backend got it once, with the ticket number
    assert "queued to be sent to the customer by SMS (+8613912345678)" in page
    # (in the customer's language: Chinese by default, 【SR-…】 first)
    assert len(sms) == 1 and sms[0][0] == "+8613912345678" and sms[0][1].startswith(f"【{ticket.number}】")
    assert sms[0][2] == OutboxMessage.objects.get(kind="ticket.reply").idempotency_key and not mail.outbox
    # a second sweep sends nothing more (but the acknowledgement written when the ticket opened, which
    # this test's transaction never handed to the fast path), and the timeline shows "SMS · Sent"
    outbox_sweep()
    assert [m[1] for m in sms if m[1].startswith(f"【{ticket.number}】")] == [sms[0][1]]
    reply = TicketReply.objects.get(ticket=ticket)
    assert (reply.delivery_status, reply.delivery_channel) == ("sent", "sms")
    page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert 'data-delivery="sent"' in page and "SMS · Sent" in page


def test_reply_to_a_customer_with_neither_says_so(client_for, ticket_factory, personas, sms):
    customer = customer_create(name="Landline only", phones=[PhoneInput("010-12345678", "landline")],
                               created_by=personas.frontdesk)
    ticket = ticket_factory(customer=customer)
    page = _reply(client_for("agent"), ticket).content.decode()
    assert "Saved. Not sent: this customer has no e-mail address or mobile number for messages." in page
    assert "Reply sent to the customer" not in page
    assert not OutboxMessage.objects.exists() and not sms
    assert 'data-delivery="no_email"' in page and "Not possible: no e-mail or mobile" in page


def test_queued_then_failed_states_show_on_the_reply(client_for, ticket_factory, customer_factory, settings, sms):
    settings.EMAIL_BACKEND = "tests.tickets.broken_mail.Backend"
    ticket = ticket_factory(customer=customer_factory(email="li@example.com"))
    client = client_for("agent")
    page = _reply(client, ticket).content.decode()  # in this test's transaction the fast path has not run
    assert "queued to be sent to the customer by e-mail (li@example.com)" in page
    assert 'data-delivery="pending"' in page and "E-mail · Queued" in page
    outbox_sweep()
    page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert 'data-delivery="failed"' in page and "SMTP down" in page


@pytest.mark.parametrize("preferred,email,expected", [
    ("", "li@example.com", "email"),      # automatic: e-mail when known
    ("", "", "sms"),                      # automatic: else the mobile
    ("sms", "li@example.com", "sms"),     # the customer prefers SMS
    ("email", "", "sms"),                 # prefers e-mail but has none: the other way
])
def test_the_customers_preferred_channel_decides(ticket_factory, customer_factory, personas, sms, preferred, email,
                                                  expected):
    from tickets.services import ticket_reply

    customer = customer_factory(email=email, preferred_channel=preferred)
    reply = ticket_reply(ticket=ticket_factory(customer=customer), author=personas.agent, body="Hi", public=True)
    assert OutboxMessage.objects.get(kind="ticket.reply").channel == expected == reply.delivery_channel


def test_preferred_channel_is_on_the_customer_form(client_for, customer_factory):
    customer = customer_factory()
    client = client_for("frontdesk")
    page = client.get(reverse("customers:edit", args=[customer.pk])).content.decode()
    assert 'name="preferred_channel"' in page
