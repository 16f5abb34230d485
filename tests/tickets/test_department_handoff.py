"""Departments that answer for complaints (issue 17): a hand-off is accepted or refused with a reason
(the refusal goes back to the supervisor), and a department's silence escalates — to its head at the
deadline, to the managers at level 2 — exactly once, on the business calendar."""
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from servicedesk.models import Notification, Team
from sla.models import SLAClock, SLAEscalation
from sla.services import sla_sweep
from tests.sla.slatime import at
from tickets import services
from tickets.models import Complaint, ComplaintHandoff, Department, Ticket, TicketSettings

pytestmark = pytest.mark.django_db

MONDAY = at(2026, 11, 23, 9)  # a working Monday: accept by 14:00 (4 working hours, lunch 12–13), findings by 18:00


@pytest.fixture
def world(personas, customer_factory):
    team = Team.objects.create(name="Complaints", supervisor=personas.supervisor)
    dept = Department.objects.create(name="质量部", name_en="Quality", head=personas.technician,
                                     accept_hours=Decimal("4"), findings_hours=Decimal("8"))
    dept.members.add(personas.technician2)
    ticket = services.ticket_create(customer=customer_factory(name="Li Na"), kind=Ticket.Kind.COMPLAINT,
                                    subject="Engineer was rude", created_by=personas.frontdesk, team=team,
                                    assignee=personas.agent, now=MONDAY - timedelta(hours=1))
    return {"team": team, "dept": dept, "ticket": ticket}


def hand_off(world, personas, now=MONDAY, department=None):
    services.complaint_update(ticket=world["ticket"], actor=personas.supervisor, category="attitude",
                              department=department or world["dept"], now=now)
    return ComplaintHandoff.objects.filter(ticket=world["ticket"]).latest("id")


def dept_clock(handoff, target):
    return SLAClock.objects.get(handoff=handoff, target=target)


def bell(user, kind=None):
    qs = Notification.objects.filter(recipient=user)
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs.values_list("message", flat=True))


def test_naming_the_department_hands_the_complaint_over_with_two_clocks_and_a_bell(world, personas):
    # when the supervisor names the responsible department
    handoff = hand_off(world, personas)
    # then a pending hand-off, its two clocks on working time, and the head and member are told
    assert handoff.state == "pending" and handoff.handed_by == personas.supervisor
    assert dept_clock(handoff, "dept_accept").deadline == at(2026, 11, 23, 14)  # 09–12, 13–14: lunch is not work
    assert dept_clock(handoff, "dept_findings").deadline == at(2026, 11, 23, 18)
    for person in (personas.technician, personas.technician2):
        [msg] = bell(person, services.DEPARTMENT_HANDOFF)
        assert world["ticket"].number in msg and "Quality" in msg
    assert bell(personas.supervisor, services.DEPARTMENT_HANDOFF) == []  # not the person who acted


def test_refusal_needs_a_reason_and_returns_the_complaint_to_the_supervisor(world, personas):
    handoff = hand_off(world, personas)
    # a refusal without a reason is refused, nothing changes
    with pytest.raises(ValidationError) as e:
        services.complaint_handoff_refuse(handoff=handoff, actor=personas.technician2, reason="  ",
                                          now=MONDAY + timedelta(hours=1))
    assert e.value.code == "reason_required"
    assert ComplaintHandoff.objects.get(pk=handoff.pk).state == "pending"
    # when a member refuses with a reason
    services.complaint_handoff_refuse(handoff=handoff, actor=personas.technician2, reason="Not our product line",
                                      now=MONDAY + timedelta(hours=1))
    # then: refused, the complaint has no department, the supervisor's bell and list say so, clocks stopped
    h = ComplaintHandoff.objects.get(pk=handoff.pk)
    assert (h.state, h.reason, h.responded_by, h.awaiting_supervisor) == ("refused", "Not our product line",
                                                                         personas.technician2, True)
    assert Complaint.objects.get(pk=world["ticket"].pk).department_id is None
    [msg] = bell(personas.supervisor, services.DEPARTMENT_ANSWER)
    assert "refused" in msg and "Not our product line" in msg
    from tickets.selectors import complaints_refused_by_departments

    assert list(complaints_refused_by_departments(user=personas.supervisor)) == [h]
    accept, findings = dept_clock(h, "dept_accept"), dept_clock(h, "dept_findings")
    assert accept.stopped_at and accept.met is True and findings.stopped_at and findings.met is None
    assert accept.next_check_at is None and findings.next_check_at is None
    # and nothing escalates later (the ticket's own clocks do, as always)
    sla_sweep(now=MONDAY + timedelta(days=5))
    assert not SLAEscalation.objects.filter(clock__handoff=h).exists()
    # handing it again (same department) is a new row, and the refusal stops waiting for the supervisor
    again = hand_off(world, personas, now=MONDAY + timedelta(hours=2))
    assert again.pk != h.pk and again.state == "pending"
    assert ComplaintHandoff.objects.filter(ticket=world["ticket"]).count() == 2
    assert list(complaints_refused_by_departments(user=personas.supervisor)) == []
    assert dept_clock(again, "dept_accept").deadline == at(2026, 11, 23, 16)


def test_silence_escalates_to_the_head_once_then_to_the_managers(world, personas):
    handoff = hand_off(world, personas)
    personas.manager
    # warning at 75 % (3 working hours: 13:00) → the department's head and member
    sla_sweep(now=at(2026, 11, 23, 13))
    assert [len(bell(p, "sla_warning")) for p in (personas.technician, personas.technician2)] == [1, 1]
    # breach at 14:00 → the head only; two sweeps (and one at the same moment again) fire it once
    with time_machine.travel(at(2026, 11, 23, 14, 0, 30), tick=False):
        first = sla_sweep()
        second = sla_sweep()
    assert first.fired["breach"] == 1 and second.fired == {"warning": 0, "breach": 0, "level2": 0}
    assert len(bell(personas.technician, "sla_breach")) == 1
    assert bell(personas.technician2, "sla_breach") == [] and bell(personas.supervisor, "sla_breach") == []
    assert SLAEscalation.objects.filter(clock__handoff=handoff, clock__target="dept_accept", level="breach").count() == 1
    # level 2 at twice the time (8 working hours: 18:00) → the managers; the findings clock (8 h)
    # breaches at the same moment and goes to the head
    sla_sweep(now=at(2026, 11, 23, 18))
    sla_sweep(now=at(2026, 11, 23, 18, 30))
    assert len(bell(personas.manager, "sla_level2")) == 1
    assert len(bell(personas.technician, "sla_breach")) == 2
    assert SLAEscalation.objects.filter(clock__handoff=handoff).values_list("clock__target", "level").count() == 5


def test_acceptance_stops_the_accept_clock_and_findings_stop_the_second(world, personas):
    handoff = hand_off(world, personas)
    # a non-member cannot accept
    with pytest.raises(ValidationError) as e:
        services.complaint_handoff_accept(handoff=handoff, actor=personas.agent, now=MONDAY + timedelta(hours=1))
    assert e.value.code == "not_department_member"
    # the head accepts in time
    services.complaint_handoff_accept(handoff=handoff, actor=personas.technician, now=MONDAY + timedelta(hours=1))
    accept, findings = dept_clock(handoff, "dept_accept"), dept_clock(handoff, "dept_findings")
    assert accept.met is True and accept.stopped_at == MONDAY + timedelta(hours=1)
    assert findings.stopped_at is None and findings.next_check_at is not None
    # accepting twice is refused with a clear message
    with pytest.raises(ValidationError) as e:
        services.complaint_handoff_accept(handoff=handoff, actor=personas.technician2, now=MONDAY + timedelta(hours=2))
    assert e.value.code == "handoff_not_pending"
    # past the accept deadline nothing fires for the accept clock
    sla_sweep(now=at(2026, 11, 23, 14, 30))
    assert not SLAEscalation.objects.filter(clock=accept).exists()
    # findings reported late (warned at 16:00, due Monday 18:00) stop the second clock
    sla_sweep(now=at(2026, 11, 24, 9))
    services.complaint_handoff_report_findings(handoff=handoff, actor=personas.technician2,
                                               findings="The engineer admits it.", now=at(2026, 11, 24, 10))
    findings.refresh_from_db()
    assert findings.stopped_at == at(2026, 11, 24, 10) and findings.met is False and findings.next_check_at is None
    h = ComplaintHandoff.objects.get(pk=handoff.pk)
    assert (h.state, h.findings_by) == ("reported", personas.technician2)
    assert any("reported its findings" in m for m in bell(personas.supervisor, services.DEPARTMENT_ANSWER))
    # level 2 (Tuesday 18:00) never comes for a stopped clock
    sla_sweep(now=at(2026, 11, 26, 9))
    assert list(SLAEscalation.objects.filter(clock__handoff=handoff).values_list("clock__target", "level")
                .order_by("scheduled_for")) == [("dept_findings", "warning"), ("dept_findings", "breach")]


def test_across_a_holiday_the_deadline_follows_the_business_calendar(world, personas):
    # handed over at 16:00 on Wednesday 30 September: 2 working hours that day, then National Day
    # (1–7 October) is skipped; the other 2 hours run on Thursday 8 October
    handoff = hand_off(world, personas, now=at(2026, 9, 30, 16))
    assert dept_clock(handoff, "dept_accept").deadline == at(2026, 10, 8, 11)
    # nothing escalates for the department during the holiday
    sla_sweep(now=at(2026, 10, 7, 23))
    assert not SLAEscalation.objects.filter(clock__handoff=handoff, level="breach").exists()


def test_naming_another_department_withdraws_the_open_hand_off(world, personas):
    first = hand_off(world, personas)
    other = Department.objects.create(name="物流部", name_en="Logistics", head=personas.agent2)
    second = hand_off(world, personas, now=MONDAY + timedelta(hours=1), department=other)
    assert ComplaintHandoff.objects.get(pk=first.pk).state == "withdrawn"
    assert second.state == "pending" and second.department == other
    assert all(c.stopped_at and c.met is None for c in SLAClock.objects.filter(handoff=first))
    # the first department can no longer answer
    with pytest.raises(ValidationError):
        services.complaint_handoff_accept(handoff=first, actor=personas.technician, now=MONDAY + timedelta(hours=2))


def test_the_result_goes_to_the_general_manager(world, personas, django_user_model):
    ticket = world["ticket"]
    services.complaint_record_investigation(ticket=ticket, actor=personas.agent, findings="Confirmed", now=MONDAY)
    services.complaint_decide(ticket=ticket, actor=personas.supervisor, decision="Apologise", remedy="apology",
                              department=world["dept"], now=MONDAY + timedelta(hours=1))
    manager = personas.manager
    # no general manager named: every manager hears it
    services.complaint_send_solution(ticket=ticket, actor=personas.agent, body="We are sorry.",
                                     now=MONDAY + timedelta(hours=2))
    [msg] = bell(manager, services.COMPLAINT_RESULT)
    assert ticket.number in msg and "Apology" in msg and "Apologise" in msg and "queued to be sent" in msg


def test_a_named_general_manager_replaces_the_managers(world, personas, customer_factory):
    from servicedesk import roles
    from tests.conftest import make_user

    gm = make_user("gm", roles.MANAGER)
    settings_row = TicketSettings.current()
    settings_row.general_manager = gm
    settings_row.full_clean()
    settings_row.save()
    # a customer with no e-mail or mobile: the message says it was not sent
    ticket = world["ticket"]
    services.complaint_record_investigation(ticket=ticket, actor=personas.agent, findings="Confirmed", now=MONDAY)
    services.complaint_decide(ticket=ticket, actor=personas.supervisor, decision="Refund", remedy="refund",
                              department=world["dept"], now=MONDAY + timedelta(hours=1))
    services.complaint_send_solution(ticket=ticket, actor=personas.agent, body="Refunded.",
                                     now=MONDAY + timedelta(hours=2))
    assert len(bell(gm, services.COMPLAINT_RESULT)) == 1
    assert bell(personas.manager, services.COMPLAINT_RESULT) == []
    # a general manager who cannot open tickets is refused in the settings
    settings_row.general_manager = personas.technician
    with pytest.raises(ValidationError):
        settings_row.full_clean()


def test_a_cancelled_complaint_no_longer_waits_on_its_department(world, personas):
    handoff = hand_off(world, personas)
    services.ticket_transition(ticket=world["ticket"], to_status=Ticket.Status.CANCELLED, actor=personas.supervisor,
                               reason="Customer withdrew the complaint", now=MONDAY + timedelta(hours=1))
    assert ComplaintHandoff.objects.get(pk=handoff.pk).state == "withdrawn"
    assert all(c.stopped_at is not None for c in SLAClock.objects.filter(handoff=handoff))
    with time_machine.travel(MONDAY + timedelta(days=3), tick=False):
        sla_sweep(now=MONDAY + timedelta(days=3))
    assert not SLAEscalation.objects.filter(clock__handoff=handoff).exists()


def test_resolving_a_complaint_leaves_an_unanswered_department_undecided_not_met(world, personas):
    """The ticket's clocks are judged at resolution; the department's, which never answered, are withdrawn —
    not counted as met because the complaint happened to resolve before their deadline."""
    ticket = world["ticket"]
    services.complaint_record_investigation(ticket=ticket, actor=personas.agent, findings="Confirmed", now=MONDAY)
    services.complaint_decide(ticket=ticket, actor=personas.supervisor, decision="Apologise", remedy="apology",
                              department=world["dept"], now=MONDAY + timedelta(minutes=30))
    handoff = ComplaintHandoff.objects.get(ticket=ticket, state="pending")
    services.ticket_resolve(ticket=ticket, actor=personas.agent, solution="Apologised",
                            now=MONDAY + timedelta(hours=1))
    assert ComplaintHandoff.objects.get(pk=handoff.pk).state == "withdrawn"
    assert all(c.stopped_at and c.met is None for c in SLAClock.objects.filter(handoff=handoff))
    ticket.refresh_from_db()
    assert ticket.sla_due_at is None or not SLAClock.objects.filter(handoff=handoff, deadline=ticket.sla_due_at).exists()


def test_a_refusal_stops_waiting_for_the_supervisor_when_the_complaint_ends(world, personas):
    handoff = hand_off(world, personas)
    services.complaint_handoff_refuse(handoff=handoff, actor=personas.technician2, reason="Not ours",
                                      now=MONDAY + timedelta(hours=1))
    assert ComplaintHandoff.objects.get(pk=handoff.pk).awaiting_supervisor
    services.ticket_transition(ticket=world["ticket"], to_status=Ticket.Status.CANCELLED, actor=personas.supervisor,
                               reason="Customer withdrew", now=MONDAY + timedelta(hours=2))
    assert not ComplaintHandoff.objects.get(pk=handoff.pk).awaiting_supervisor


def test_the_ticket_due_time_is_the_tickets_own_not_the_departments(world, personas):
    handoff = hand_off(world, personas)
    ticket = Ticket.objects.get(pk=world["ticket"].pk)
    department_deadlines = set(SLAClock.objects.filter(handoff=handoff).values_list("deadline", flat=True))
    own = SLAClock.objects.filter(ticket=ticket, handoff__isnull=True, stopped_at__isnull=True,
                                  paused_at__isnull=True).order_by("deadline").values_list("deadline", flat=True)
    # the department must accept by 14:00, earlier than the ticket's own first deadline: that is not the ticket's
    assert min(department_deadlines) < own.first()
    assert ticket.sla_due_at == own.first()
