"""The services other areas call early: assign, priority, reply, resolve, complaint return visit."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from tickets import signals
from tickets.models import Complaint, Ticket, TicketEvent, TicketReply
from tickets.services import (
    StaleTicket,
    complaint_decide,
    complaint_record_investigation,
    complaint_record_return_visit,
    complaint_send_solution,
    ticket_assign,
    ticket_reply,
    ticket_resolve,
    ticket_set_priority,
    ticket_transition,
)

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)


class Catch:
    def __init__(self, signal):
        self.calls = []
        signal.connect(self._got, weak=False, dispatch_uid=f"catch-{id(self)}")
        self.signal = signal

    def _got(self, sender, **kwargs):
        self.calls.append(kwargs)

    def close(self):
        self.signal.disconnect(dispatch_uid=f"catch-{id(self)}")


@pytest.fixture
def catch():
    made = []

    def _catch(signal):
        c = Catch(signal)
        made.append(c)
        return c

    yield _catch
    for c in made:
        c.close()


def test_take_it_sets_assignee_and_records_event(ticket_factory, personas):
    # given
    ticket = ticket_factory()
    # when
    ticket_assign(ticket=ticket, assignee=personas.agent, actor=personas.agent, now=NOW)
    # then
    ticket.refresh_from_db()
    assert ticket.assignee == personas.agent
    ev = TicketEvent.objects.get(ticket=ticket, kind="taken")
    assert ev.actor == personas.agent and ev.after["assignee"] == personas.agent.pk and ev.before["assignee"] is None


def test_reassign_needs_reason_and_supervisor_for_someone_elses(ticket_factory, personas):
    ticket = ticket_factory(assignee=personas.agent)
    with pytest.raises(ValidationError) as e:
        ticket_assign(ticket=ticket, assignee=personas.agent2, actor=personas.agent2, reason="I know this customer")
    assert e.value.code == "reassign_forbidden"
    with pytest.raises(ValidationError) as e:
        ticket_assign(ticket=ticket, assignee=personas.agent2, actor=personas.supervisor)
    assert e.value.code == "reason_required"
    # an agent may hand on their own ticket with a reason
    ticket_assign(ticket=ticket, assignee=personas.agent2, actor=personas.agent, reason="on leave tomorrow")
    ticket_assign(ticket=ticket, assignee=personas.agent, actor=personas.supervisor, reason="back from leave")
    ticket.refresh_from_db()
    assert ticket.assignee == personas.agent
    assert TicketEvent.objects.filter(ticket=ticket, kind="assigned").count() == 2


def test_cannot_assign_to_someone_who_cannot_work_tickets(ticket_factory, personas):
    ticket = ticket_factory()
    for user in (personas.technician, personas.frontdesk):
        with pytest.raises(ValidationError) as e:
            ticket_assign(ticket=ticket, assignee=user, actor=personas.supervisor)
        assert e.value.code == "assignee_not_agent"


def test_set_priority_by_system_sends_ticket_changed(ticket_factory, catch):
    ticket = ticket_factory()
    changed = catch(signals.ticket_changed)
    ticket_set_priority(ticket=ticket, priority=Ticket.Priority.URGENT, actor=None, reason="SLA breach", now=NOW)
    ticket.refresh_from_db()
    assert ticket.priority == Ticket.Priority.URGENT
    ev = TicketEvent.objects.get(ticket=ticket, kind="priority")
    assert (ev.actor, ev.before, ev.after, ev.message) == (None, 2, 0, "SLA breach")
    assert changed.calls[0]["field"] == "priority" and changed.calls[0]["after"] == 0


def test_first_public_reply_stamps_first_response_once(ticket_factory, personas, catch):
    ticket = ticket_factory()
    first = catch(signals.ticket_first_response)
    ticket_reply(ticket=ticket, author=personas.agent, body="internal", public=False, now=NOW)
    ticket.refresh_from_db()
    assert ticket.first_response_at is None and first.calls == []
    ticket_reply(ticket=ticket, author=personas.agent, body="We are on it", public=True, now=NOW + timedelta(hours=1))
    ticket_reply(ticket=ticket, author=personas.agent, body="Again", public=True, now=NOW + timedelta(hours=2))
    ticket.refresh_from_db()
    assert ticket.first_response_at == NOW + timedelta(hours=1)
    assert len(first.calls) == 1
    assert TicketEvent.objects.filter(ticket=ticket, kind="first_response").count() == 1


def test_reply_double_submit_with_token_gives_one_reply(ticket_factory, personas):
    ticket = ticket_factory()
    a = ticket_reply(ticket=ticket, author=personas.agent, body="Hi", public=True, client_token="tok-1")
    b = ticket_reply(ticket=ticket, author=personas.agent, body="Hi", public=True, client_token="tok-1")
    assert a.pk == b.pk and TicketReply.objects.filter(ticket=ticket).count() == 1


def test_empty_reply_refused(ticket_factory, personas):
    with pytest.raises(ValidationError):
        ticket_reply(ticket=ticket_factory(), author=personas.agent, body="   ", public=True)


def test_public_reply_is_emailed_on_commit(ticket_factory, customer_factory, personas, django_capture_on_commit_callbacks):
    ticket = ticket_factory(customer=customer_factory(email="li@example.com"))
    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_reply(ticket=ticket, author=personas.agent, body="Fixed <b>now</b>", public=True)
    reply.refresh_from_db()
    assert reply.delivery_status == "sent" and reply.delivery_attempts == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["li@example.com"]
    assert ticket.number in mail.outbox[0].subject


def test_failed_send_keeps_reply_and_is_retried_by_sweep(ticket_factory, customer_factory, personas, settings,
                                                         django_capture_on_commit_callbacks):
    import time_machine

    from servicedesk.outbox import outbox_sweep

    ticket = ticket_factory(customer=customer_factory(email="li@example.com"))
    settings.EMAIL_BACKEND = "tests.tickets.broken_mail.Backend"
    with time_machine.travel(NOW, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            reply = ticket_reply(ticket=ticket, author=personas.agent, body="Answer", public=True)
    reply.refresh_from_db()
    assert reply.delivery_status == "failed" and "SMTP down" in reply.last_error
    assert TicketReply.objects.filter(pk=reply.pk).exists()
    # when SMTP is back and the backoff has passed, the outbox sweep sends it
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(NOW + timedelta(seconds=30), tick=False):
        assert outbox_sweep()["claimed"] == 0  # not due yet (back-off 1 min)
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        assert outbox_sweep()["sent"] == 1
    reply.refresh_from_db()
    assert reply.delivery_status == "sent" and reply.delivery_attempts == 2
    assert len(mail.outbox) == 1


def test_customer_without_email_reply_is_kept_and_texted(ticket_factory, personas):
    # the factory's customers have a mobile and no e-mail: the reply goes by SMS (issue 11 §5);
    # a customer with neither is tested in test_reply_channels.py
    reply = ticket_reply(ticket=ticket_factory(), author=personas.agent, body="Called back", public=True)
    assert (reply.delivery_status, reply.delivery_channel) == ("pending", "sms")


def test_resolve_records_fault_cause_and_solution(ticket_factory, personas, fault_cause, catch):
    ticket = ticket_factory()
    moved = catch(signals.ticket_status_changed)
    ticket = ticket_resolve(ticket=ticket, actor=personas.technician, fault_cause=fault_cause,
                            solution="Replaced the roller", now=NOW)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.fault_cause, ticket.solution, ticket.resolved_at) == (
        "resolved", fault_cause, "Replaced the roller", NOW)
    ev = TicketEvent.objects.get(ticket=ticket, kind="status")
    assert ev.after["solution"] == "Replaced the roller" and ev.after["fault_cause"] == "Worn part"
    assert moved.calls[0]["new_status"] == "resolved"


def test_stale_version_is_refused(ticket_factory, personas):
    ticket = ticket_factory()
    old_version = ticket.version
    ticket_set_priority(ticket=ticket, priority=1, actor=personas.agent)
    with pytest.raises(StaleTicket):
        ticket_set_priority(ticket=ticket, priority=0, actor=personas.agent2, expected_version=old_version)
    ticket.refresh_from_db()
    assert ticket.priority == 1


def test_complaint_full_flow_and_milestones(ticket_factory, personas, department, catch):
    # given
    milestones = catch(signals.complaint_milestone)
    ticket = ticket_factory(kind=Ticket.Kind.COMPLAINT, subject="Rude technician")
    assert Complaint.objects.filter(ticket=ticket).exists()
    # when / then: cannot resolve or close before decision / return visit
    with pytest.raises(ValidationError) as e:
        ticket_resolve(ticket=ticket, actor=personas.agent, solution="x")
    assert e.value.code == "complaint_not_decided"
    with pytest.raises(ValidationError):
        complaint_decide(ticket=ticket, actor=personas.supervisor, decision="d", remedy="apology")
    complaint_record_investigation(ticket=ticket, actor=personas.agent, findings="Confirmed", department=department,
                                   now=NOW)
    with pytest.raises(ValidationError) as e:
        complaint_decide(ticket=ticket, actor=personas.agent, decision="d", remedy="apology")
    assert e.value.code == "not_supervisor"
    with pytest.raises(ValidationError):
        complaint_record_return_visit(ticket=ticket, actor=personas.agent, outcome="satisfied", notes="")
    complaint_decide(ticket=ticket, actor=personas.supervisor, decision="Apologise and retrain", remedy="apology",
                     now=NOW + timedelta(hours=2))
    complaint_send_solution(ticket=ticket, actor=personas.agent, body="We apologise", now=NOW + timedelta(hours=3))
    ticket = ticket_resolve(ticket=ticket, actor=personas.agent, solution="Apologised", now=NOW + timedelta(hours=4))
    with pytest.raises(ValidationError) as e:
        ticket_transition(ticket=ticket, to_status="closed", actor=personas.agent)
    assert e.value.code == "complaint_no_return_visit"
    complaint_record_return_visit(ticket=ticket, actor=personas.agent, outcome="satisfied", notes="Happy",
                                  now=NOW + timedelta(days=2))
    ticket_transition(ticket=ticket, to_status="closed", actor=personas.agent)
    # then
    c = Complaint.objects.get(ticket=ticket)
    assert c.decided_by == personas.supervisor and c.return_visit_outcome == "satisfied"
    assert [m["milestone"] for m in milestones.calls] == ["investigated", "solution_sent", "return_visit"]
    ticket.refresh_from_db()
    assert ticket.first_response_at == NOW + timedelta(hours=3)


def test_reclassify_to_complaint_keeps_number_and_sends_ticket_changed(ticket_factory, personas, catch):
    ticket = ticket_factory(kind=Ticket.Kind.INQUIRY)
    number = ticket.number
    changed = catch(signals.ticket_changed)
    from tickets.services import ticket_change_kind

    ticket = ticket_change_kind(ticket=ticket, kind=Ticket.Kind.COMPLAINT, actor=personas.agent, now=NOW)
    assert ticket.number == number and Complaint.objects.filter(ticket=ticket).exists()
    assert changed.calls[0]["field"] == "kind" and changed.calls[0]["after"] == "complaint"
