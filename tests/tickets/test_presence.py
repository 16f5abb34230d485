"""Collision warning (issue 19 item 6): who else has the ticket open and whether they are writing, a
reply that arrived meanwhile flagged before sending, and presence that lapses by itself."""
import pytest
from django.urls import reverse

from tickets.presence import PRESENCE_SECONDS, presence_touch
from tickets.services import ticket_reply

pytestmark = pytest.mark.django_db


def test_presence_lists_the_others_writers_first_and_lapses(personas):
    t0 = 1_000_000.0
    presence_touch(ticket_id=7, user=personas.agent, state="viewing", now=t0)
    presence_touch(ticket_id=7, user=personas.supervisor, state="replying", now=t0 + 1)
    others = presence_touch(ticket_id=7, user=personas.agent2, state="viewing", now=t0 + 2)
    assert others == [{"name": "Supervisor", "state": "replying"}, {"name": "Agent", "state": "viewing"}]
    # another ticket is another room
    assert presence_touch(ticket_id=8, user=personas.agent2, state="viewing", now=t0 + 2) == []
    # the agent closed the tab: gone once their last heartbeat lapses; the supervisor left explicitly
    presence_touch(ticket_id=7, user=personas.supervisor, state="leave", now=t0 + 3)
    assert presence_touch(ticket_id=7, user=personas.agent2, state="viewing", now=t0 + 2 + PRESENCE_SECONDS) == []


def test_heartbeat_names_the_others_and_flags_a_reply_that_arrived(client_for, ticket_factory, personas):
    ticket = ticket_factory()
    url = reverse("tickets:presence", args=[ticket.pk])
    presence_touch(ticket_id=ticket.pk, user=personas.supervisor, state="replying")
    client = client_for("agent")
    page = client.post(url, {"state": "viewing", "seen": "0"}).content.decode()
    assert "Supervisor is writing a reply on this ticket." in page and "data-new-reply" not in page
    # the supervisor sends: the agent's next heartbeat warns before they send theirs
    reply = ticket_reply(ticket=ticket, author=personas.supervisor, body="We are on it", public=True)
    page = client.post(url, {"state": "replying", "seen": "0"}).content.decode()
    assert "Supervisor added a reply since you opened this ticket" in page and "data-new-reply" in page
    # a page that already shows that reply is not warned; my own replies never warn me
    assert "data-new-reply" not in client.post(url, {"state": "replying", "seen": str(reply.pk)}).content.decode()
    ticket_reply(ticket=ticket, author=personas.agent, body="Mine", public=False)
    assert "data-new-reply" not in client.post(url, {"state": "replying", "seen": str(reply.pk)}).content.decode()
    # leaving answers nothing and removes me
    assert client.post(url, {"state": "leave"}).status_code == 204
    assert presence_touch(ticket_id=ticket.pk, user=personas.supervisor, state="viewing") == []


def test_heartbeat_is_for_those_who_may_open_the_ticket(client_for, ticket_factory):
    ticket = ticket_factory()
    url = reverse("tickets:presence", args=[ticket.pk])
    assert client_for("technician").post(url, {"state": "viewing"}).status_code == 403
    assert client_for("agent").get(url).status_code == 405
    assert client_for("agent").post(url, {"state": "viewing", "seen": "x'; drop"}).status_code == 200
    anonymous = client_for(None).post(url, {"state": "viewing"})
    assert anonymous.status_code == 302 and reverse("login") in anonymous["Location"]


def test_the_ticket_page_polls_in_the_background(client_for, ticket_factory):
    ticket = ticket_factory()
    page = client_for("agent").get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert f'hx-post="{reverse("tickets:presence", args=[ticket.pk])}"' in page
    assert '"X-Background-Refresh": "1"' in page  # polling does not keep an idle session signed in
