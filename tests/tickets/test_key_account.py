"""The green channel (issue 17): key-account tickets first in the queues, a badge, the account manager told."""
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.urls import reverse

from customers.services import customer_merge, customer_update
from servicedesk.models import Notification
from tickets import selectors
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 16, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_ticket_copies_the_flag_and_follows_the_customer_in_bulk(ticket_factory, customer_factory, personas):
    # given a customer with two tickets, not a key account
    c = customer_factory(name="Huaxin")
    a, b = ticket_factory(customer=c), ticket_factory(customer=c)
    assert not a.is_key_account
    # when the customer becomes a key account
    customer_update(customer=c, updated_by=personas.supervisor, is_key_account=True)
    # then every ticket of theirs carries the flag; and loses it again when it is removed
    assert set(Ticket.objects.filter(customer=c).values_list("is_key_account", flat=True)) == {True}
    c.refresh_from_db()
    assert ticket_factory(customer=c).is_key_account
    customer_update(customer=c, updated_by=personas.supervisor, is_key_account=False)
    assert set(Ticket.objects.filter(customer=c).values_list("is_key_account", flat=True)) == {False}
    assert b.pk


def test_merge_gives_moved_tickets_the_survivors_flag(ticket_factory, customer_factory, personas):
    survivor, duplicate = customer_factory(name="A"), customer_factory(name="B", is_key_account=True)
    t = ticket_factory(customer=duplicate)
    u = ticket_factory(customer=survivor)
    customer_merge(survivor=survivor, duplicate=duplicate, merged_by=personas.supervisor)
    assert Ticket.objects.get(pk=t.pk).is_key_account and Ticket.objects.get(pk=u.pk).is_key_account


@pytest.mark.parametrize("sort", ["due", "priority"])
def test_key_accounts_first_at_equal_urgency(sort, ticket_factory, customer_factory, personas):
    plain = ticket_factory(customer=customer_factory(name="Plain"), assignee=personas.agent, now=T0)
    key = ticket_factory(customer=customer_factory(name="Key", is_key_account=True), assignee=personas.agent, now=T0)
    # the same deadline and priority: the key account comes first (its policy would be faster anyway)
    Ticket.objects.update(sla_due_at=T0, priority=2)
    assert list(selectors.queue_tickets(user=personas.agent, tab="mine", sort=sort)) == [key, plain]
    # a more urgent ordinary ticket still comes first
    Ticket.objects.filter(pk=plain.pk).update(sla_due_at=T0.replace(hour=8), priority=0)
    assert list(selectors.queue_tickets(user=personas.agent, tab="mine", sort=sort)) == [plain, key]


def test_badge_in_the_queue_the_list_and_the_ticket_page(ticket_factory, customer_factory, personas, client_for):
    t = ticket_factory(customer=customer_factory(name="Key", is_key_account=True), assignee=personas.agent)
    ticket_factory(customer=customer_factory(name="Plain"), assignee=personas.agent)
    client = client_for("agent")
    for url in (reverse("tickets:queue"), reverse("tickets:list"), reverse("tickets:detail", args=[t.pk])):
        assert "key-account-badge" in client.get(url).content.decode(), url
    body = client.get(reverse("tickets:list") + "?key_account=1").content.decode()
    assert t.number in body and "Plain" not in body
    body = client.get(reverse("tickets:list") + "?key_account=0").content.decode()
    assert t.number not in body and "Plain" in body and "key-account-badge" not in body


def test_fault_notifies_the_account_manager_at_once(ticket_factory, customer_factory, personas):
    c = customer_factory(name="Huaxin Hotel", is_key_account=True)
    c.account_manager = personas.agent2
    c.save(update_fields=["account_manager"])
    t = ticket_factory(customer=c, kind="repair", subject="Chiller down")
    note = Notification.objects.get(recipient=personas.agent2, kind="key_account_fault")
    assert "Huaxin Hotel" in note.message and t.number in note.message
    # an inquiry is not a fault
    ticket_factory(customer=c, kind="inquiry", subject="Invoice")
    assert Notification.objects.filter(kind="key_account_fault").count() == 1


def test_fault_without_an_account_manager_says_so_on_the_timeline(ticket_factory, customer_factory, personas,
                                                                    client_for):
    t = ticket_factory(customer=customer_factory(name="Huaxin", is_key_account=True), kind="repair")
    assert not Notification.objects.filter(kind="key_account_fault").exists()
    assert TicketEvent.objects.filter(ticket=t, kind="key_account_no_manager").exists()
    body = client_for("agent").get(reverse("tickets:detail", args=[t.pk])).content.decode()
    assert "no active account manager to notify" in body


@pytest.mark.postgres
@pytest.mark.parametrize("tab,index", [("mine", "ticket_assignee_due_idx"), ("first_inquiry", "ticket_first_inquiry_due_idx")])
def test_queue_key_account_order_comes_from_an_index(tab, index, ticket_factory, customer_factory, personas):
    """The key-account sort adds no join and no full sort: the queue's partial index carries the flag."""
    for i in range(30):
        ticket_factory(customer=customer_factory(name=f"C{i}", is_key_account=bool(i % 3 == 0)),
                       created_by=personas.agent, assignee=personas.agent if i % 2 else personas.agent2)
    qs = selectors.queue_tickets(user=personas.agent, tab=tab, sort="due")
    sql, params = qs.values_list("pk", flat=True)[:26].query.sql_with_params()
    assert "customers_customer" not in sql
    with connection.cursor() as cur:
        cur.execute("ANALYZE tickets_ticket")
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_sort = off")
        cur.execute("EXPLAIN " + sql, params)
        plan = "\n".join(r[0] for r in cur.fetchall())
    assert index in plan or "ticket_sla_due_idx" in plan, plan
    assert not re.search(r"^\s*(->\s+)?Sort\s+\(", plan, re.MULTILINE), plan


def test_a_planned_repair_is_no_fault_alert(ticket_factory, customer_factory, personas):
    # a maintenance visit the department planned (fault_alert=False) is not "the key account reported a fault"
    c = customer_factory(name="Huaxin Hotel", is_key_account=True)
    c.account_manager = personas.agent2
    c.save(update_fields=["account_manager"])
    ticket_factory(customer=c, kind="repair", subject="Planned maintenance", fault_alert=False)
    assert not Notification.objects.filter(kind="key_account_fault").exists()
    assert not TicketEvent.objects.filter(kind="key_account_no_manager").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_flag_flipped_while_a_ticket_is_opened_reaches_that_ticket(customer_factory, personas):
    """The race: the customer becomes a key account (its tickets updated in bulk) while a ticket is being
    opened from a customer object read before. The ticket must not keep the stale 'not a key account'."""
    import threading
    import time

    from customers.models import Customer
    from django.db import transaction
    from tickets.services import ticket_create, tickets_sync_key_account

    c = customer_factory(name="Huaxin")
    stale = Customer.objects.get(pk=c.pk)  # what the intake form holds
    locked, release, opened = threading.Event(), threading.Event(), {}

    def flip():  # customer_update's steps, held open until the other thread is waiting
        try:
            with transaction.atomic():
                row = Customer.objects.select_for_update().get(pk=c.pk)
                row.is_key_account = True
                row.save(update_fields=["is_key_account"])
                tickets_sync_key_account(customer_id=c.pk, is_key_account=True)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    def open_ticket():
        try:
            opened["ticket"] = ticket_create(customer=stale, kind="repair", channel="phone",
                                             created_by=personas.frontdesk, subject="No heat")
        finally:
            connection.close()

    t1 = threading.Thread(target=flip)
    t1.start()
    assert locked.wait(10)
    t2 = threading.Thread(target=open_ticket)
    t2.start()
    time.sleep(0.5)
    assert "ticket" not in opened  # waiting for the flag's transaction, not reading around it
    release.set()
    t1.join(10)
    t2.join(10)
    assert Ticket.objects.get(pk=opened["ticket"].pk).is_key_account is True


@pytest.mark.postgres
def test_a_ticket_is_not_opened_on_a_customer_merged_since_it_was_read(customer_factory, personas):
    """The intake form holds the duplicate read before a supervisor merged it: the ticket is refused under the
    customer row lock (the lock customer_merge takes), not opened on the emptied duplicate."""
    from django.core.exceptions import ValidationError

    from customers.models import Customer
    from tickets.services import ticket_create

    survivor, duplicate = customer_factory(name="Huaxin"), customer_factory(name="Huaxin Ltd")
    stale = Customer.objects.get(pk=duplicate.pk)
    customer_merge(survivor=survivor, duplicate=duplicate, merged_by=personas.supervisor)
    assert stale.merged_into_id is None  # what the form still holds
    with pytest.raises(ValidationError) as refused:
        ticket_create(customer=stale, kind="repair", channel="phone", created_by=personas.frontdesk, subject="No heat")
    assert refused.value.code == "customer_merged"
    assert not Ticket.objects.filter(customer=duplicate).exists()
