"""The ticket page's panel: staff see the customer's status link, send it again, or replace it."""
import pytest
from django.urls import reverse

from portal import services
from servicedesk.models import OutboxMessage
from tickets.models import TicketEvent

pytestmark = pytest.mark.django_db


def test_panel_shows_the_link_the_customer_was_sent(client_for, open_ticket):
    ticket = open_ticket()
    page = client_for("agent").get(reverse("portal:ticket_link", args=[ticket.pk])).content.decode()
    assert services.status_link(ticket) in page


def test_send_again_says_what_happened(client_for, open_ticket):
    ticket = open_ticket()
    before = OutboxMessage.objects.filter(kind="portal.ack").count()
    page = client_for("agent").post(reverse("portal:ticket_link_action", args=[ticket.pk, "send"]),
                                    HTTP_HX_REQUEST="true").content.decode()
    assert "Queued for the customer with the status link" in page
    assert OutboxMessage.objects.filter(kind="portal.ack").count() == before + 1
    assert TicketEvent.objects.filter(ticket=ticket, kind="status_link_sent").exists()


def test_send_to_a_customer_without_mobile_or_email_says_not_sent(client_for, open_ticket, customer_factory):
    customer = customer_factory()
    customer.phones.all().delete()
    ticket = open_ticket(customer=customer)
    page = client_for("agent").post(reverse("portal:ticket_link_action", args=[ticket.pk, "send"])).content.decode()
    assert "Not sent: the customer has no mobile or e-mail on file" in page


def test_replace_stops_the_old_link(client_for, client, open_ticket):
    ticket = open_ticket()
    old = reverse("portal:status", args=[services.status_token(ticket)])
    client_for("agent").post(reverse("portal:ticket_link_action", args=[ticket.pk, "replace"]))
    client.logout()
    assert client.get(old).status_code == 404
    assert client.get(reverse("portal:status", args=[services.status_token(ticket)])).status_code == 200


@pytest.mark.parametrize("role,get_code,post_code", [("agent", 200, 200), ("supervisor", 200, 200),
                                                      ("frontdesk", 200, 403), ("outsider", 403, 403)])
def test_permissions(client_for, open_ticket, role, get_code, post_code):
    ticket = open_ticket()
    client = client_for(role)
    assert client.get(reverse("portal:ticket_link", args=[ticket.pk])).status_code == get_code
    assert client.post(reverse("portal:ticket_link_action", args=[ticket.pk, "send"])).status_code == post_code


def test_anonymous_goes_to_sign_in(client, open_ticket):
    response = client.get(reverse("portal:ticket_link", args=[open_ticket().pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]
