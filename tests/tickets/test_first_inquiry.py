"""首问责任制 (issue 17): the first staff member to take a request owns its first inquiry until it closes."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from servicedesk.models import Notification
from servicedesk.services import system_user
from tickets import selectors, services
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 16, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_staff_creator_is_the_first_inquiry_owner(ticket_factory, personas):
    # given / when the front desk opens a ticket on the phone
    t = ticket_factory(created_by=personas.frontdesk, now=T0)
    # then they own its first inquiry
    assert t.first_inquiry_owner == personas.frontdesk


def test_portal_ticket_is_owned_by_the_first_person_who_acts(customer_factory, personas):
    # given a ticket the portal's system account opened
    portal = system_user(username="portal", display_name="网上服务")
    t = services.ticket_create(customer=customer_factory(), kind="repair", subject="Leak", created_by=portal,
                               channel="web", now=T0)
    assert t.first_inquiry_owner is None
    # when an agent takes it, then a supervisor changes its status
    services.ticket_assign(ticket=t, assignee=personas.agent, actor=personas.agent, now=T0 + timedelta(minutes=1))
    services.ticket_transition(ticket=t, to_status="acknowledged", actor=personas.supervisor,
                               now=T0 + timedelta(minutes=2))
    # then the agent (first to act) owns it, recorded once on the timeline
    t.refresh_from_db()
    assert t.first_inquiry_owner == personas.agent
    assert list(TicketEvent.objects.filter(ticket=t, kind="first_inquiry").values_list("actor", flat=True)) == [
        personas.agent.pk]


@pytest.mark.parametrize("how", ["reply", "status"])
def test_first_reply_or_status_change_also_takes_the_first_inquiry(how, customer_factory, personas):
    mail = system_user(username="mail", display_name="电子邮件")
    t = services.ticket_create(customer=customer_factory(email="c@example.com"), kind="inquiry", subject="Hours",
                               created_by=mail, channel="email", now=T0)
    if how == "reply":
        services.ticket_reply(ticket=t, author=personas.agent2, body="We open at 9.", public=True, now=T0)
    else:
        services.ticket_transition(ticket=t, to_status="in_progress", actor=personas.agent2, now=T0)
    t.refresh_from_db()
    assert t.first_inquiry_owner == personas.agent2


def test_owner_survives_reassignment_and_sees_it_in_their_list_until_closed(ticket_factory, personas):
    # given a ticket the front desk took, handed to an agent and then to another
    t = ticket_factory(created_by=personas.frontdesk, assignee=personas.agent, now=T0)
    services.ticket_assign(ticket=t, assignee=personas.agent2, actor=personas.supervisor, reason="Leave", now=T0)
    t.refresh_from_db()
    # then the first-inquiry owner is still the front desk, and it is in their first-inquiry list
    assert t.first_inquiry_owner == personas.frontdesk
    assert list(selectors.queue_tickets(user=personas.frontdesk, tab="first_inquiry")) == [t]
    # when it is resolved it stays in the list ("until it closes"), but leaves the assignee's open queue
    services.ticket_resolve(ticket=t, actor=personas.agent2, solution="Fixed", fault_cause=None)
    t.refresh_from_db()
    assert list(selectors.queue_tickets(user=personas.frontdesk, tab="first_inquiry")) == [t]
    assert list(selectors.queue_tickets(user=personas.agent2, tab="mine")) == []
    # when it is closed it leaves the list
    services.ticket_transition(ticket=t, to_status="closed", actor=personas.agent2)
    assert list(selectors.queue_tickets(user=personas.frontdesk, tab="first_inquiry")) == []


def test_a_cancelled_ticket_leaves_the_first_inquiry_list(ticket_factory, personas):
    t = ticket_factory(created_by=personas.frontdesk, assignee=personas.agent, now=T0)
    services.ticket_transition(ticket=t, to_status="cancelled", actor=personas.agent, reason="Duplicate")
    assert list(selectors.queue_tickets(user=personas.frontdesk, tab="first_inquiry")) == []


def test_owner_is_told_of_progress_by_others_not_of_their_own(ticket_factory, personas):
    t = ticket_factory(kind="inquiry", created_by=personas.agent, assignee=personas.agent2, now=T0)
    # their own move: no bell
    services.ticket_transition(ticket=t, to_status="acknowledged", actor=personas.agent, now=T0)
    assert not Notification.objects.filter(recipient=personas.agent, kind="first_inquiry_progress").exists()
    # someone else's move: one bell, saying what happened, linking the ticket
    services.ticket_transition(ticket=t, to_status="in_progress", actor=personas.agent2, now=T0)
    note = Notification.objects.get(recipient=personas.agent, kind="first_inquiry_progress")
    assert t.number in note.message and "In progress" in note.message
    assert note.url == reverse("tickets:detail", args=[t.pk])


def test_owner_changes_only_by_a_supervisor_with_a_reason(ticket_factory, personas):
    t = ticket_factory(created_by=personas.frontdesk, now=T0)
    # an agent may not
    with pytest.raises(ValidationError):
        services.ticket_change_first_inquiry_owner(ticket=t, owner=personas.agent, actor=personas.agent, reason="x")
    # a supervisor must give a reason
    with pytest.raises(ValidationError):
        services.ticket_change_first_inquiry_owner(ticket=t, owner=personas.agent, actor=personas.supervisor,
                                                   reason=" ")
    # a technician cannot own it
    with pytest.raises(ValidationError):
        services.ticket_change_first_inquiry_owner(ticket=t, owner=personas.technician, actor=personas.supervisor,
                                                   reason="Moved")
    services.ticket_change_first_inquiry_owner(ticket=t, owner=personas.agent, actor=personas.supervisor,
                                               reason="Front desk shift ended", now=T0)
    t.refresh_from_db()
    assert t.first_inquiry_owner == personas.agent
    ev = TicketEvent.objects.get(ticket=t, kind="first_inquiry_changed")
    assert ev.actor == personas.supervisor and ev.message == "Front desk shift ended"
    assert ev.before["user"] == personas.frontdesk.pk and ev.after["user"] == personas.agent.pk


def test_change_owner_page_is_for_supervisors(ticket_factory, personas, client_for):
    t = ticket_factory(created_by=personas.frontdesk, now=T0)
    url = reverse("tickets:action", args=[t.pk, "first_inquiry"])
    assert client_for("agent").get(url).status_code == 403
    client = client_for("supervisor")
    assert client.get(url).status_code == 200
    response = client.post(url, {"first_inquiry-version": t.version, "first_inquiry-owner": personas.agent.pk,
                                 "first_inquiry-reason": "<b>hand-over</b>"})
    assert response.status_code == 302
    page = client.get(reverse("tickets:detail", args=[t.pk])).content.decode()
    assert "&lt;b&gt;hand-over&lt;/b&gt;" in page and "changed the first-inquiry owner" in page
    # a missing reason goes back onto the form, no 500
    response = client.post(url, {"first_inquiry-version": t.version + 1, "first_inquiry-owner": personas.frontdesk.pk,
                                 "first_inquiry-reason": ""})
    assert response.status_code == 400


def test_queue_tab_and_list_filter(ticket_factory, personas, client_for, django_assert_max_num_queries):
    mine = ticket_factory(created_by=personas.agent, assignee=personas.agent2, subject="Mine first", now=T0)
    ticket_factory(created_by=personas.frontdesk, subject="Not mine", now=T0)
    client = client_for("agent")
    body = client.get(reverse("tickets:queue") + "?tab=first_inquiry").content.decode()
    assert "Mine first" in body and "Not mine" not in body and "My first-inquiry tickets" in body
    body = client.get(reverse("tickets:list") + f"?first_inquiry_owner={personas.agent.pk}").content.decode()
    assert "Mine first" in body and "Not mine" not in body
    for i in range(30):
        ticket_factory(created_by=personas.agent, subject=f"More {i}", now=T0)
    with django_assert_max_num_queries(30):
        assert client.get(reverse("tickets:queue") + "?tab=first_inquiry").status_code == 200
    assert mine.first_inquiry_owner == personas.agent


def test_migration_backfill_rule(ticket_factory, customer_factory, personas):
    """The data migration's rule, run again on rows with the owner cleared: the creator when a person,
    else the first person who acted; a ticket nobody has touched stays without one."""
    import importlib

    from django.apps import apps

    backfill = importlib.import_module("tickets.migrations.0014_key_account_first_inquiry").backfill
    portal = system_user(username="portal", display_name="网上服务")
    by_person = ticket_factory(created_by=personas.frontdesk, now=T0)
    touched = services.ticket_create(customer=customer_factory(), kind="repair", subject="a", created_by=portal,
                                     channel="web", now=T0)
    services.ticket_assign(ticket=touched, assignee=personas.agent, actor=personas.agent, now=T0)
    untouched = services.ticket_create(customer=customer_factory(), kind="repair", subject="b", created_by=portal,
                                       channel="web", now=T0)
    Ticket.objects.update(first_inquiry_owner=None)
    backfill(apps, None)
    owners = dict(Ticket.objects.values_list("pk", "first_inquiry_owner"))
    assert owners == {by_person.pk: personas.frontdesk.pk, touched.pk: personas.agent.pk, untouched.pk: None}


def test_a_technician_resolving_through_a_work_order_never_owns_the_first_inquiry(customer_factory, personas):
    # given a portal ticket nobody at the desk has touched
    portal = system_user(username="portal", display_name="网上服务")
    t = services.ticket_create(customer=customer_factory(), kind="repair", subject="Leak", created_by=portal,
                               channel="web", now=T0)
    # when the technician's closed work order resolves it (dispatch resolves as the technician)
    t = services.ticket_resolve(ticket=t, actor=personas.technician, solution="WO-1: replaced the valve",
                                now=T0 + timedelta(hours=3))
    # then the technician, who cannot open tickets, is not its owner; the next person with ticket access is
    t.refresh_from_db()
    assert t.status == Ticket.Status.RESOLVED and t.first_inquiry_owner is None
    services.ticket_transition(ticket=t, to_status="closed", actor=personas.agent, now=T0 + timedelta(hours=4))
    t.refresh_from_db()
    assert t.first_inquiry_owner == personas.agent
