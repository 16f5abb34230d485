"""What each endpoint does: the desk's phone rules, the services' checks, cursor pages, and status changes
that leave the same timeline events and SLA clock effects as the ticket page."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Contact, Customer
from sla.models import SLAClock
from tickets.models import Ticket, TicketEvent, TicketReply
from tickets.services import ticket_reply

from tests.customers.tiers import tier_save

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("typed", ["138 1234 5678", "+86 138-1234-5678", "13812345678", "008613812345678",
                                   "5678", "1381234"])
def test_phone_lookup_in_any_format_like_the_desk(api, customer_factory, typed):
    # given the caller on file and someone else
    wang = customer_factory(name="王芳", phone="13812345678")
    customer_factory(name="Other", phone="13900001111")
    # when the phone system looks the number up as typed
    response = api.get("/api/v1/customers/", {"phone": typed})
    # then it finds exactly that customer, with the number as the desk shows it
    assert response.status_code == 200
    body = response.json()
    assert [c["id"] for c in body["results"]] == [wang.pk] and body["more"] is False
    assert body["results"][0]["phones"][0]["display"] == "138 1234 5678"


@pytest.mark.parametrize("typed,code", [("12", "too_short"), ("abc", "invalid"), ("", "invalid")])
def test_phone_lookup_refuses_what_is_not_a_number(api, typed, code):
    response = api.get("/api/v1/customers/", {"phone": typed})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code and "phone" in response.json()["error"]["fields"]


def test_phone_lookup_says_when_there_are_more_than_shown(api, customer_factory):
    for n in range(21):
        customer_factory(name=f"C{n}", phone=f"1381234{n:04d}")
    body = api.get("/api/v1/customers/", {"phone": "1381234"}).json()
    assert len(body["results"]) == 20 and body["more"] is True


def test_customer_create_through_the_desk_rules(api):
    # when
    response = api.post("/api/v1/customers/", {"name": "李雷", "phones": [{"number": "139 0000 1111"}],
                                               "tier": "gold"})
    # then: the number normalised, the integration's account as first contact and owner
    assert response.status_code == 201, response.content
    customer = Customer.objects.get(pk=response.json()["id"])
    assert customer.phones.get().number == "+8613900001111"
    assert customer.first_contact_by == api.token.acting_user == customer.owner
    assert response.json()["tier"] == "gold" and response.json()["open_tickets"] == 0


def test_duplicate_phone_is_409_naming_the_customer(api, customer_factory):
    wang = customer_factory(name="王芳", phone="13812345678")
    response = api.post("/api/v1/customers/", {"name": "Wang F", "phones": [{"number": "+86 138 1234 5678"}]})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "duplicate_phone" and error["existing_customer"] == wang.pk and error["fields"]["phones"]
    assert Customer.objects.count() == 1


def test_customer_create_field_errors(api):
    response = api.post("/api/v1/customers/", {"name": "", "phones": [{"number": "123"}], "tier": "platinum",
                                               "email": "nope"})
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"name", "tier", "email"}
    response = api.post("/api/v1/customers/", {"name": "X", "phones": [{"number": "123"}]})
    assert response.status_code == 400 and "phones" in response.json()["error"]["fields"]


def test_customer_read_and_404(api, customer_factory):
    wang = customer_factory(name="王芳")
    assert api.get(f"/api/v1/customers/{wang.pk}/").json()["name"] == "王芳"
    assert api.get("/api/v1/customers/9999999/").status_code == 404
    assert api.get(f"/api/v1/customers/{10**21}/").status_code == 404


def test_contact_log(api, customer_factory, ticket_factory):
    wang = customer_factory(name="王芳")
    ticket = ticket_factory(customer=wang)
    started = timezone.now() - timedelta(minutes=5)
    response = api.post("/api/v1/contacts/", {"customer": wang.pk, "ticket": ticket.pk, "purpose": "follow_up",
                                              "started_at": started.isoformat(), "ended_at": timezone.now().isoformat(),
                                              "notes": "Asked when the technician comes"})
    assert response.status_code == 201, response.content
    contact = Contact.objects.get(pk=response.json()["id"])
    assert contact.customer == wang and contact.ticket == ticket and contact.handled_by == api.token.acting_user
    assert response.json()["handled_by"]["name"] == "API · Phone exchange"
    # an anonymous caller needs a name or a number (the service's rule); an unknown customer is a field error
    assert api.post("/api/v1/contacts/", {}).json()["error"]["code"] == "anonymous"
    assert api.post("/api/v1/contacts/", {"customer": 999999}).json()["error"]["fields"] == {
        "customer": ["No customer with this id."]}


def test_ticket_create_starts_sla_clocks_and_shows_the_integration(api, customer_factory):
    wang = customer_factory(name="王芳")
    response = api.post("/api/v1/tickets/", {"customer": wang.pk, "kind": "repair", "subject": "Washer leaks",
                                             "channel": "web"})
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert ticket.number.startswith("RR-") or ticket.number == response.json()["number"]
    assert ticket.created_by == api.token.acting_user
    assert set(SLAClock.objects.filter(ticket=ticket).values_list("target", flat=True)) >= {"first_response"}
    event = TicketEvent.objects.get(ticket=ticket, kind="created")
    assert event.actor.get_full_name() == "API · Phone exchange"


def test_ticket_list_filters_and_cursor_pages(api, customer_factory, ticket_factory, personas):
    # given 5 tickets of one customer (one complaint, one assigned) and 1 of another
    wang = customer_factory(name="王芳")
    mine = [ticket_factory(customer=wang) for _ in range(3)]
    complaint = ticket_factory(customer=wang, kind="complaint")
    assigned = ticket_factory(customer=wang, assignee=personas.agent)
    other = ticket_factory()
    # when paging 2 at a time
    seen, url = [], "/api/v1/tickets/?page_size=2"
    while url:
        body = api.get(url).json()
        assert len(body["results"]) <= 2
        seen += [t["id"] for t in body["results"]]
        url = body["next"]
    # then every ticket once, newest first
    assert seen == [t.pk for t in [other, assigned, complaint, *reversed(mine)]]

    def ids(**params):
        response = api.get("/api/v1/tickets/", params)
        assert response.status_code == 200, response.content
        return [t["id"] for t in response.json()["results"]]

    assert ids(customer=wang.pk) == [assigned.pk, complaint.pk, *[t.pk for t in reversed(mine)]]
    assert ids(kind="complaint") == [complaint.pk]
    assert ids(assignee=personas.agent.pk) == [assigned.pk]
    assert ids(status="new", customer=other.customer_id) == [other.pk]
    later = timezone.now() + timedelta(seconds=1)
    assert ids(updated_since=later.isoformat()) == []
    assert ids(updated_since=(later - timedelta(hours=1)).isoformat())
    for bad in ({"status": "open"}, {"customer": "x"}, {"updated_since": "yesterday"}, {"assignee": "-1"}):
        response = api.get("/api/v1/tickets/", bad)
        assert response.status_code == 400 and set(response.json()["error"]["fields"]) == set(bad)
    assert api.get("/api/v1/tickets/", {"cursor": "garbage"}).status_code == 404


def test_ticket_detail_shows_public_replies_only(api, ticket_factory, personas):
    ticket = ticket_factory()
    ticket_reply(ticket=ticket, author=personas.agent, body="We are on it.", public=True)
    ticket_reply(ticket=ticket, author=personas.agent, body="Customer sounds angry", public=False)
    body = api.get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert [r["body"] for r in body["replies"]] == ["We are on it."]
    assert body["replies"][0]["author"]["name"] == personas.agent.get_full_name()


def test_public_reply_is_the_first_response_and_idempotent(api, ticket_factory):
    ticket = ticket_factory()
    path = f"/api/v1/tickets/{ticket.pk}/replies/"
    first = api.post(path, {"body": "A technician calls you today.", "client_token": "erp-42"})
    again = api.post(path, {"body": "A technician calls you today.", "client_token": "erp-42"})
    assert first.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert TicketReply.objects.filter(ticket=ticket).count() == 1
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None
    assert SLAClock.objects.get(ticket=ticket, target="first_response").stopped_at is not None
    assert api.post(path, {"body": "  "}).status_code == 400
    stale = api.post(path, {"body": "Hello", "expected_version": 1})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale"


def _trail(ticket):
    """What a status change leaves behind, without ids and times that differ between two tickets."""
    def same(value):  # the outbox message's id differs between the two tickets
        return {k: v for k, v in value.items() if k != "message"} if isinstance(value, dict) else value

    events = [(e.kind, e.field, e.before, same(e.after), e.message)
              for e in TicketEvent.objects.filter(ticket=ticket).exclude(kind="created").order_by("id")]
    clocks = {c.target: (c.paused_at is not None, c.stopped_at is not None, c.met)
              for c in SLAClock.objects.filter(ticket=ticket)}
    ticket.refresh_from_db()
    return ticket.status, events, clocks


def test_status_change_through_the_api_is_the_same_as_the_page(api, client_for, ticket_factory):
    # given two identical tickets
    by_page, by_api = ticket_factory(), ticket_factory()
    page = client_for("agent")
    # when one moves new → in progress → waiting on the page and the other through the API
    for to_status in ("in_progress", "waiting"):
        by_page.refresh_from_db()
        response = page.post(reverse("tickets:action", args=[by_page.pk, "status"]),
                             {"status-version": by_page.version, "status-to_status": to_status})
        assert response.status_code == 302
        response = api.post(f"/api/v1/tickets/{by_api.pk}/status/", {"status": to_status})
        assert response.status_code == 200 and response.json()["status"] == to_status
    # then the same events and the same clock effects (waiting pauses the resolution clock)
    assert _trail(by_api) == _trail(by_page)
    assert SLAClock.objects.get(ticket=by_api, target="resolution").paused_at is not None
    assert TicketEvent.objects.filter(ticket=by_api, kind="status").last().actor == api.token.acting_user


def test_illegal_move_stale_version_and_resolve(api, ticket_factory):
    from tickets.models import FaultCause

    ticket = ticket_factory()
    path = f"/api/v1/tickets/{ticket.pk}/status/"
    illegal = api.post(path, {"status": "closed"})
    assert illegal.status_code == 400 and illegal.json()["error"]["code"] == "illegal_transition"
    assert api.post(path, {"status": "in_progress", "expected_version": 99}).status_code == 409
    assert api.post(path, {"status": "resolved", "fault_cause": "nope"}).json()["error"]["fields"] == {
        "fault_cause": ["No fault cause with this code."]}
    FaultCause.objects.create(name="磨损", code="worn")
    response = api.post(path, {"status": "resolved", "fault_cause": "worn", "solution": "Replaced the belt"})
    assert response.status_code == 200 and response.json()["status"] == "resolved"
    ticket.refresh_from_db()
    assert ticket.fault_cause.code == "worn" and ticket.solution == "Replaced the belt"
    assert SLAClock.objects.get(ticket=ticket, target="resolution").stopped_at is not None


def test_work_orders_by_ticket_and_by_id(api, ticket_factory, personas):
    from tests.api.factories import make_workorder

    ticket = ticket_factory()
    order = make_workorder(ticket=ticket, created_by=personas.agent)
    listed = api.get("/api/v1/workorders/", {"ticket": ticket.pk}).json()
    assert [w["id"] for w in listed["results"]] == [order.pk] and listed["next"] is None
    one = api.get(f"/api/v1/workorders/{order.pk}/").json()
    assert one["number"] == order.number and one["ticket_number"] == ticket.number and one["technician"] is None
    assert api.get("/api/v1/workorders/").status_code == 400  # the ticket is required
    assert api.get("/api/v1/workorders/99999/").status_code == 404


def test_customer_tiers_through_the_api(api):
    # issue 17: tiers are data. An organisation gets an enterprise level, by its code, and its name comes back
    response = api.post("/api/v1/customers/", {"name": "ACME", "kind": "organisation", "tier": "1a",
                                               "phones": [{"number": "139 0000 2222"}]})
    assert response.status_code == 201, response.content
    assert (response.json()["tier"], response.json()["tier_name"]) == ("1a", "Enterprise 1A")
    # a person is refused one; a retired tier and an unknown code are refused, all on the tier field
    from customers.models import CustomerTier

    tier_save("silver", is_active=False)
    for tier, kind in (("1a", "person"), ("silver", "person"), ("nope", "person")):
        response = api.post("/api/v1/customers/", {"name": "Li", "kind": kind, "tier": tier,
                                                   "phones": [{"number": "139 0000 3333"}]})
        assert response.status_code == 400, (tier, response.content)
        assert set(response.json()["error"]["fields"]) == {"tier"}, tier
    # no tier given: the department's default
    response = api.post("/api/v1/customers/", {"name": "Wu", "phones": [{"number": "139 0000 4444"}]})
    assert response.status_code == 201 and response.json()["tier"] == "basic"
