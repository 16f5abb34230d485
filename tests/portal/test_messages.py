"""Messages to customers (issue 15 items 1 and 4): acknowledgement, progress messages, templates,
quiet hours, the stop preference. Every message is an outbox row written with its cause."""
from datetime import datetime, timedelta

import pytest

from portal import services
from portal.models import MessageTemplate
from servicedesk.models import OutboxMessage
from servicedesk.outbox import outbox_deliver
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_transition

from .conftest import NOW, TZ

pytestmark = pytest.mark.django_db


def _messages(ticket, event):
    """The outbox rows of this event on this ticket (the timeline event names its row)."""
    ids = [e.after.get("message") for e in TicketEvent.objects.filter(ticket=ticket, kind="message_to_customer",
                                                                      after__event=event)]
    return list(OutboxMessage.objects.filter(kind=f"portal.{event}", pk__in=[i for i in ids if i]))


def test_acknowledgement_by_sms_with_number_promised_time_and_link(open_ticket):
    ticket = open_ticket()
    [msg] = _messages(ticket, "ack")
    assert msg.channel == "sms" and msg.to == ticket.customer.phones.get().number
    # Chinese by default (the customer's language): number, what was received, the promised time, the link.
    assert ticket.number in msg.body and "报修" in msg.body
    deadline = ticket.sla_clocks.get(target="first_response").deadline.astimezone(TZ)
    assert f"{deadline.month}月{deadline.day}日 {deadline:%H:%M}" in msg.body
    link = services.status_link(ticket)
    assert link.startswith("https://service.example.cn/t/") and link in msg.body
    event = TicketEvent.objects.get(ticket=ticket, kind="message_to_customer")
    assert event.after == {"event": "ack", "outcome": "queued", "channel": "sms", "at": None, "message": msg.pk}


def test_acknowledgement_in_english_by_email_when_the_customer_uses_email(open_ticket, customer_factory):
    customer = customer_factory(name="Anna Li", email="anna@example.com", preferred_channel="email",
                                preferred_language="en")
    ticket = open_ticket(customer=customer, kind="complaint", subject="Rude on the phone")
    [msg] = _messages(ticket, "ack")
    assert msg.channel == "email" and msg.to == "anna@example.com"
    assert msg.body.startswith("Customer service: we received your complaint, number CP-")
    assert ticket.number in msg.subject


def test_no_mobile_or_email_says_so_on_the_timeline(open_ticket, customer_factory):
    customer = customer_factory()
    customer.phones.all().delete()
    ticket = open_ticket(customer=customer)
    assert _messages(ticket, "ack") == []
    event = TicketEvent.objects.get(ticket=ticket, kind="message_to_customer")
    assert event.after["outcome"] == "no_address"


def test_resolved_message_carries_the_result_and_waiting_asks_for_an_answer(open_ticket, personas):
    ticket = open_ticket(assignee=personas.agent)
    ticket_transition(ticket=ticket, to_status=Ticket.Status.WAITING, actor=personas.agent, now=NOW)
    [waiting] = _messages(ticket, "waiting")
    assert "需要您补充信息" in waiting.body
    ticket_transition(ticket=ticket, to_status=Ticket.Status.IN_PROGRESS, actor=personas.agent, now=NOW)
    ticket.refresh_from_db()
    ticket.solution = "排水管已疏通\n细节略"
    ticket.save(update_fields=["solution"])
    ticket_transition(ticket=ticket, to_status=Ticket.Status.RESOLVED, actor=personas.agent, now=NOW)
    [resolved] = _messages(ticket, "resolved")
    assert "排水管已疏通" in resolved.body and "细节略" not in resolved.body


def test_a_managers_template_per_kind_rewords_or_switches_off(open_ticket, personas):
    MessageTemplate.objects.create(event="resolved", kind="repair", enabled=False, text_zh="x", text_en="x")
    MessageTemplate.objects.create(event="ack", kind="", enabled=True, text_zh="收到{number}，{unknown}",
                                   text_en="Got {number}")
    repair = open_ticket(assignee=personas.agent)
    inquiry = open_ticket(kind="inquiry", assignee=personas.agent)
    assert _messages(repair, "ack")[0].body == f"收到{repair.number}，{{unknown}}"  # a typo never stops a message
    for t in (repair, inquiry):
        ticket_transition(ticket=t, to_status=Ticket.Status.RESOLVED, actor=personas.agent, now=NOW)
    assert _messages(repair, "resolved") == []  # switched off for repairs
    assert len(_messages(inquiry, "resolved")) == 1  # the all-kinds default still applies


def test_the_acknowledgement_cannot_be_switched_off(open_ticket):
    MessageTemplate.objects.create(event="ack", kind="", enabled=False, text_zh="收到{number}", text_en="Got {number}")
    assert len(_messages(open_ticket(), "ack")) == 1


def test_quiet_hours_hold_progress_sms_until_morning_but_not_the_acknowledgement(open_ticket, personas):
    late = datetime(2026, 3, 2, 22, 30, tzinfo=TZ)
    ticket = open_ticket(assignee=personas.agent, now=late)
    [ack] = _messages(ticket, "ack")
    assert ack.next_attempt_at == late  # the customer just called: the acknowledgement goes at once
    ticket_transition(ticket=ticket, to_status=Ticket.Status.RESOLVED, actor=personas.agent, now=late)
    [held] = _messages(ticket, "resolved")
    morning = datetime(2026, 3, 3, 8, 0, tzinfo=TZ)
    assert held.next_attempt_at == morning
    assert TicketEvent.objects.get(ticket=ticket, kind="message_to_customer", after__event="resolved").after[
        "outcome"] == "held"
    outbox_deliver(now=late + timedelta(minutes=5))
    held.refresh_from_db()
    assert held.status == "pending"
    outbox_deliver(now=morning)
    held.refresh_from_db()
    assert held.status == "sent"


def test_quiet_hours_after_midnight_end_the_same_morning(open_ticket, personas):
    early = datetime(2026, 3, 3, 6, 15, tzinfo=TZ)
    ticket = open_ticket(assignee=personas.agent, now=early)
    ticket_transition(ticket=ticket, to_status=Ticket.Status.WAITING, actor=personas.agent, now=early)
    assert _messages(ticket, "waiting")[0].next_attempt_at == datetime(2026, 3, 3, 8, 0, tzinfo=TZ)


def test_email_is_not_held_by_quiet_hours(open_ticket, personas, customer_factory):
    customer = customer_factory(email="a@example.com", preferred_channel="email")
    late = datetime(2026, 3, 2, 23, 0, tzinfo=TZ)
    ticket = open_ticket(customer=customer, assignee=personas.agent, now=late)
    ticket_transition(ticket=ticket, to_status=Ticket.Status.WAITING, actor=personas.agent, now=late)
    assert _messages(ticket, "waiting")[0].next_attempt_at == late


def test_stopped_customers_get_the_acknowledgement_but_no_progress_messages(open_ticket, personas):
    first = open_ticket(assignee=personas.agent)
    services.customer_stop_messages(ticket=first, now=NOW)
    second = open_ticket(customer=first.customer, assignee=personas.agent)
    assert len(_messages(second, "ack")) == 1
    ticket_transition(ticket=second, to_status=Ticket.Status.WAITING, actor=personas.agent, now=NOW)
    assert _messages(second, "waiting") == []
    assert TicketEvent.objects.get(ticket=second, kind="message_to_customer", after__event="waiting").after[
        "outcome"] == "stopped"


def test_an_acknowledgement_without_a_promised_time_promises_nothing(open_ticket, customer_factory):
    """No SLA clock running (no policy for the ticket): "we will answer by ___" would be a blank promise, so the
    message says "as soon as we can" — for the built-in wording and for a manager's template alike."""
    from sla.models import SLAPolicy

    SLAPolicy.objects.all().delete()
    zh = open_ticket()
    assert not zh.sla_clocks.exists()
    [msg] = _messages(zh, "ack")
    assert "我们会尽快答复" in msg.body and "前答复" not in msg.body and zh.number in msg.body
    en = open_ticket(customer=customer_factory(name="Anna Li", email="anna@example.com", preferred_channel="email",
                                               preferred_language="en"))
    [msg] = _messages(en, "ack")
    assert "We will answer as soon as we can." in msg.body and "by ." not in msg.body
    MessageTemplate.objects.create(event="ack", kind="", enabled=True, text_zh="收到{number}，{promised}前回复",
                                   text_en="Got {number}, answer by {promised}")
    [msg] = _messages(open_ticket(), "ack")
    assert "我们会尽快答复" in msg.body and "前回复" not in msg.body
