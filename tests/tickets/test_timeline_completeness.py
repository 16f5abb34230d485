"""Nothing about a ticket changes without an event: walk every writing service and check the timeline."""
import inspect

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from customers.services import asset_create, contact_log
from tickets import services
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db

# Writes that change a ticket; anything new in services.py with these prefixes must be walked below.
PREFIXES = ("ticket_", "complaint_", "attachment_")
NOT_WRITES = set()


def _writing_services():
    return {name for name, fn in inspect.getmembers(services, inspect.isfunction)
            if name.startswith(PREFIXES) and fn.__module__ == services.__name__} - NOT_WRITES


def test_every_service_leaves_an_event(customer_factory, personas, fault_cause, department):
    customer = customer_factory(email="c@example.com")
    asset = asset_create(customer=customer, created_by=personas.frontdesk, product="Boiler")
    walked = set()

    def step(name, expect_kind, fn, **kwargs):
        before = TicketEvent.objects.count()
        result = fn(**kwargs)
        new = list(TicketEvent.objects.order_by("id")[before:])
        assert new, f"{name} wrote no event"
        assert expect_kind in {e.kind for e in new}, (name, [e.kind for e in new])
        for e in new:
            assert e.created_at is not None
        walked.add(name)
        return result

    t = step("ticket_create", "created", services.ticket_create, customer=customer, kind="repair", subject="Leak",
             created_by=personas.frontdesk)
    step("ticket_assign", "taken", services.ticket_assign, ticket=t, assignee=personas.agent, actor=personas.agent)
    step("ticket_set_priority", "priority", services.ticket_set_priority, ticket=t, priority=0, actor=personas.agent)
    step("ticket_update", "changed", services.ticket_update, ticket=t, actor=personas.agent, subject="Leak (kitchen)",
         asset=asset)
    step("ticket_change_kind", "kind", services.ticket_change_kind, ticket=t, kind="complaint", actor=personas.agent,
         reason="Customer is complaining, not asking")
    step("ticket_change_kind", "kind", services.ticket_change_kind, ticket=t, kind="repair", actor=personas.agent)
    step("ticket_reply", "reply", services.ticket_reply, ticket=t, author=personas.agent, body="On our way",
         public=True)
    step("ticket_reply", "note", services.ticket_reply, ticket=t, author=personas.agent, body="Parts ordered",
         public=False)
    contact = contact_log(handled_by=personas.agent, channel="phone", direction="out", customer=customer,
                          notes="Called back")
    step("ticket_record_answer_contact", "contact", services.ticket_record_answer_contact, ticket=t,
         actor=personas.agent, contact=contact)
    step("attachment_add", "attachment", services.attachment_add, ticket=t, uploaded_by=personas.agent,
         file=SimpleUploadedFile("n.txt", b"note"), content_type="text/plain")
    step("ticket_transition", "status", services.ticket_transition, ticket=t, to_status="in_progress",
         actor=personas.agent)
    step("ticket_resolve", "status", services.ticket_resolve, ticket=t, actor=personas.agent, fault_cause=fault_cause,
         solution="Sealed")

    c = services.ticket_create(customer=customer, kind="complaint", subject="Late", created_by=personas.frontdesk)
    step("complaint_update", "complaint_changed", services.complaint_update, ticket=c, actor=personas.agent,
         category="timeliness", department=department, staff_member=personas.technician)
    # issue 17: the department named is handed the complaint; it refuses, is handed it again, accepts, reports
    from tickets.models import ComplaintHandoff

    department.head = personas.technician
    department.save()
    step("complaint_handoff_refuse", "department_refused", services.complaint_handoff_refuse,
         handoff=ComplaintHandoff.objects.get(ticket=c), actor=personas.technician, reason="Not ours")
    step("complaint_record_investigation", "department_handoff", services.complaint_record_investigation,
         ticket=c, actor=personas.agent, findings="Technician was 3h late", department=department)
    handoff = ComplaintHandoff.objects.get(ticket=c, state="pending")
    step("complaint_handoff_accept", "department_accepted", services.complaint_handoff_accept, handoff=handoff,
         actor=personas.technician)
    step("complaint_handoff_report_findings", "department_findings", services.complaint_handoff_report_findings,
         handoff=handoff, actor=personas.technician, findings="Traffic jam; no call ahead")
    step("complaint_decide", "complaint_decided", services.complaint_decide, ticket=c, actor=personas.supervisor,
         decision="Apologise, coupon", remedy="compensation", staff_complaint_valid=True)
    step("complaint_send_solution", "complaint_solution_sent", services.complaint_send_solution, ticket=c,
         actor=personas.agent, body="Sorry; coupon attached")
    step("complaint_record_return_visit", "complaint_return_visit", services.complaint_record_return_visit,
         ticket=c, actor=personas.agent, outcome="satisfied", notes="OK")
    step("ticket_change_first_inquiry_owner", "first_inquiry_changed", services.ticket_change_first_inquiry_owner,
         ticket=c, owner=personas.agent, actor=personas.supervisor, reason="Front desk hand-over")

    from tickets.models import Tag

    tag = Tag.objects.create(name="timeline", created_at=c.created_at)
    step("ticket_set_tags", "tags", services.ticket_set_tags, ticket=c, tags=[tag], actor=personas.agent)

    # every writing service was walked
    assert _writing_services() <= walked, _writing_services() - walked
    # and every event these services wrote names its actor (people did all of these) and has before/after
    # or a message (other areas add their own kinds, e.g. system-scheduled callbacks)
    from tickets.templatetags.tickets_tags import EVENT_LABELS

    # (the customer's own actions and the messages sent to them are the portal's: no staff actor)
    from tickets.templatetags.tickets_tags import PORTAL_EVENTS

    for e in TicketEvent.objects.filter(kind__in=list(EVENT_LABELS)).exclude(kind__in=PORTAL_EVENTS):
        assert e.actor is not None, e.kind
        assert e.after is not None or e.message, e.kind


def test_no_op_writes_leave_no_event(ticket_factory, personas):
    t = ticket_factory(priority=Ticket.Priority.NORMAL)
    before = TicketEvent.objects.count()
    services.ticket_set_priority(ticket=t, priority=Ticket.Priority.NORMAL, actor=personas.agent)
    services.ticket_update(ticket=t, actor=personas.agent, subject=t.subject)
    assert TicketEvent.objects.count() == before
