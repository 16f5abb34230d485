"""Callbacks: scheduling in working time, retries, unreachable, dissatisfaction, problems, key accounts."""
import pytest
import time_machine
from django.core.exceptions import ValidationError

from followups import services
from followups.models import Callback, CallbackAttempt, FollowupPolicy
from tickets.models import Ticket

from .fu_helpers import at

pytestmark = pytest.mark.django_db


def test_repair_resolved_on_friday_schedules_callback_two_working_days_later(make_ticket):
    # given a repair resolved on Friday 2026-11-20 15:00
    ticket = make_ticket(resolve_at=at(2026, 11, 20, 15))
    # then one callback, due Tuesday 15:00 (the weekend does not count), owned by the ticket's agent
    cb = Callback.objects.get(ticket=ticket)
    assert cb.reason == Callback.Reason.AFTER_REPAIR
    assert cb.due_at == at(2026, 11, 24, 15)
    assert cb.owner == ticket.assignee
    assert cb.next_reminder_at == cb.due_at
    assert cb.max_attempts == 3


def test_callback_skips_national_day_holiday(make_ticket):
    # 2026-09-30 10:00 + 16 working hours: 7 h on the 30th, Oct 1–7 off, 8 h on the 8th, 1 h on the 9th
    ticket = make_ticket(resolve_at=at(2026, 9, 30, 10))
    assert Callback.objects.get(ticket=ticket).due_at == at(2026, 10, 9, 10)


def test_delay_comes_from_the_policy(make_ticket):
    FollowupPolicy.objects.update_or_create(pk=1, defaults={"repair_delay_working_days": 3})
    ticket = make_ticket(resolve_at=at(2026, 11, 20, 15))
    assert Callback.objects.get(ticket=ticket).due_at == at(2026, 11, 25, 15)


def test_resolved_after_hours_counts_from_next_morning(make_ticket):
    ticket = make_ticket(resolve_at=at(2026, 11, 20, 21))  # Friday evening
    assert Callback.objects.get(ticket=ticket).due_at == at(2026, 11, 25, 9)  # Mon 9:00 + 16 h ends Tue 18:00 (closing) → Wed 9:00


def test_inquiry_gets_no_callback_but_a_survey(make_ticket):
    ticket = make_ticket(kind="inquiry", resolve_at=at(2026, 11, 20, 15))
    assert not Callback.objects.filter(ticket=ticket).exists()
    assert ticket.survey_invitations.count() == 1


def test_no_answer_retries_next_half_day_then_unreachable(make_ticket, personas):
    ticket = make_ticket(resolve_at=at(2026, 11, 18, 15))
    cb = Callback.objects.get(ticket=ticket)
    # when the agent calls on Friday 16:00 and nobody answers
    cb = services.callback_record_attempt(callback=cb, actor=personas.agent, reached=False, now=at(2026, 11, 20, 16))
    # then it is retried 4 working hours later: Monday 11:00
    assert cb.status == Callback.Status.PENDING
    assert cb.attempts == 1
    assert cb.due_at == at(2026, 11, 23, 11)
    assert cb.next_reminder_at == cb.due_at
    cb = services.callback_record_attempt(callback=cb, actor=personas.agent, reached=False, now=at(2026, 11, 23, 11))
    assert cb.status == Callback.Status.PENDING and cb.due_at == at(2026, 11, 23, 16)
    cb = services.callback_record_attempt(callback=cb, actor=personas.agent, reached=False, now=at(2026, 11, 23, 16))
    # after the third failed attempt: unreachable, no more reminders, recorded on the ticket
    assert cb.status == Callback.Status.UNREACHABLE
    assert cb.next_reminder_at is None
    assert CallbackAttempt.objects.filter(callback=cb, result="no_answer").count() == 3
    assert ticket.events.filter(kind="callback").exists()
    with pytest.raises(ValidationError):
        services.callback_record_attempt(callback=cb, actor=personas.agent, reached=False, now=at(2026, 11, 23, 17))


def test_satisfied_closes_the_callback(make_ticket, personas):
    ticket = make_ticket(resolve_at=at(2026, 11, 18, 15))
    cb = Callback.objects.get(ticket=ticket)
    cb = services.callback_record_attempt(callback=cb, actor=personas.agent, reached=True, outcome="satisfied",
                                          notes="All good", now=at(2026, 11, 20, 10))
    assert (cb.status, cb.outcome, cb.completed_at) == ("done", "satisfied", at(2026, 11, 20, 10))
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED


def test_reached_requires_an_outcome(make_ticket, personas):
    cb = Callback.objects.get(ticket=make_ticket(resolve_at=at(2026, 11, 18, 15)))
    with pytest.raises(ValidationError):
        services.callback_record_attempt(callback=cb, actor=personas.agent, reached=True, outcome="",
                                         now=at(2026, 11, 20, 10))


def test_not_satisfied_reopens_the_ticket_by_default(make_ticket, personas):
    ticket = make_ticket(resolve_at=at(2026, 11, 18, 15))
    cb = Callback.objects.get(ticket=ticket)
    cb = services.callback_record_attempt(callback=cb, actor=personas.agent, reached=True, outcome="not_satisfied",
                                          notes="Still noisy", now=at(2026, 11, 20, 10))
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.REOPENED
    assert cb.action_taken == "reopen"
    assert ticket.events.filter(kind="status", after="reopened", actor=personas.agent).exists()


def test_not_satisfied_can_open_a_linked_complaint(make_ticket, personas):
    ticket = make_ticket(resolve_at=at(2026, 11, 18, 15))
    cb = Callback.objects.get(ticket=ticket)
    cb = services.callback_record_attempt(callback=cb, actor=personas.agent, reached=True, outcome="not_satisfied",
                                          notes="Technician was rude", action="complaint", now=at(2026, 11, 20, 10))
    complaint = cb.follow_up_ticket
    assert complaint.kind == Ticket.Kind.COMPLAINT
    assert complaint.customer == ticket.customer
    assert ticket.number in complaint.subject and "rude" in complaint.description
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED  # not reopened: the complaint carries it


def test_policy_default_action_complaint(make_ticket, personas):
    FollowupPolicy.objects.update_or_create(pk=1, defaults={"dissatisfied_action": "complaint"})
    ticket = make_ticket(resolve_at=at(2026, 11, 18, 15))
    cb = services.callback_record_attempt(callback=Callback.objects.get(ticket=ticket), actor=personas.agent,
                                          reached=True, outcome="not_satisfied", now=at(2026, 11, 20, 10))
    assert cb.follow_up_ticket is not None and cb.action_taken == "complaint"


def test_problem_raised_gets_answer_due_in_five_working_days(make_ticket, personas):
    ticket = make_ticket(resolve_at=at(2026, 11, 18, 15))
    cb = services.callback_record_attempt(callback=Callback.objects.get(ticket=ticket), actor=personas.agent,
                                          reached=True, outcome="satisfied", problem="Wants a maintenance plan",
                                          now=at(2026, 11, 20, 10))
    assert cb.answer_due_at == at(2026, 11, 27, 10)
    child = Callback.objects.get(reason=Callback.Reason.CALLBACK_PROBLEM)
    assert (child.parent, child.due_at, child.owner) == (cb, at(2026, 11, 27, 10), personas.agent)


def test_workorder_closed_schedules_one_callback_and_one_survey_naming_the_technician(close_work_order, personas):
    # when dispatch closes the last work order (and so resolves the ticket) on Wednesday 16:00
    wo, ticket = close_work_order(closed_at=at(2026, 11, 18, 16))
    # then exactly one repair callback (due Friday 16:00) and one survey, both naming the technician
    assert ticket.status == Ticket.Status.RESOLVED
    cb = Callback.objects.get(ticket=ticket)
    assert (cb.reason, cb.work_order, cb.technician) == ("after_repair", wo, personas.technician)
    assert cb.due_at == at(2026, 11, 20, 16)
    invitation = ticket.survey_invitations.get()
    assert (invitation.work_order, invitation.technician) == (wo, personas.technician)


def test_resolved_again_while_callback_pending_adds_nothing(make_ticket, personas):
    from tickets.services import ticket_transition

    ticket = make_ticket(resolve_at=at(2026, 11, 18, 15))
    ticket_transition(ticket=ticket, to_status="reopened", actor=personas.agent, now=at(2026, 11, 19, 10))
    ticket_transition(ticket=ticket, to_status="resolved", actor=personas.agent, now=at(2026, 11, 19, 12))
    assert Callback.objects.filter(ticket=ticket, reason="after_repair").count() == 1
    assert ticket.survey_invitations.count() == 1


def _complaint_with_solution_sent(make_ticket, personas, *, when):
    from tickets import services as ts
    from tickets.models import Department

    ticket = make_ticket(kind="complaint", opened_at=at(2026, 11, 19, 9), subject="Rude technician")
    ts.complaint_update(ticket=ticket, actor=personas.agent, category="attitude", staff_member=personas.technician,
                        now=at(2026, 11, 19, 10))
    ts.complaint_record_investigation(ticket=ticket, actor=personas.agent, findings="Confirmed",
                                      department=Department.objects.create(name="Field service"),
                                      now=at(2026, 11, 19, 11))
    ts.complaint_decide(ticket=ticket, actor=personas.supervisor, decision="Apologise", remedy="apology",
                        staff_complaint_valid=True, now=at(2026, 11, 19, 14))
    ts.complaint_send_solution(ticket=ticket, actor=personas.agent, body="We apologise.", now=when)
    return ticket


def test_complaint_solution_schedules_return_visit_and_records_it(make_ticket, personas):
    # given the result of a complaint sent to the customer on Friday 15:00
    ticket = _complaint_with_solution_sent(make_ticket, personas, when=at(2026, 11, 20, 15))
    # then a return visit is due 4 working hours later (3 h Friday, 1 h Monday)
    cb = Callback.objects.get(ticket=ticket)
    assert cb.reason == Callback.Reason.COMPLAINT_RETURN_VISIT
    assert cb.due_at == at(2026, 11, 23, 10)
    # resolving the complaint does not add a second return visit, and complaints get no survey
    from tickets.services import ticket_transition

    ticket_transition(ticket=ticket, to_status="resolved", actor=personas.agent, now=at(2026, 11, 20, 16))
    assert Callback.objects.filter(ticket=ticket).count() == 1
    assert not ticket.survey_invitations.exists()
    # when the agent records the return visit
    services.callback_record_attempt(callback=cb, actor=personas.agent, reached=True, outcome="satisfied",
                                     notes="Accepts the apology", now=at(2026, 11, 23, 10))
    # then the complaint carries it and may close
    ticket.complaint.refresh_from_db()
    assert ticket.complaint.return_visit_outcome == "satisfied"
    assert ticket.complaint.return_visit_by == personas.agent
    ticket_transition(ticket=ticket, to_status="closed", actor=personas.agent, now=at(2026, 11, 23, 11))


def test_unreachable_return_visit_is_recorded_on_the_complaint(make_ticket, personas):
    ticket = _complaint_with_solution_sent(make_ticket, personas, when=at(2026, 11, 20, 15))
    cb = Callback.objects.get(ticket=ticket)
    for hour in (10, 14, 17):
        cb = services.callback_record_attempt(callback=cb, actor=personas.agent, reached=False,
                                              now=at(2026, 11, 23, hour))
    assert cb.status == "unreachable"
    ticket.complaint.refresh_from_db()
    assert ticket.complaint.return_visit_outcome == "unreachable"


def test_key_accounts_get_one_callback_per_month(customer_factory, personas):
    key = customer_factory(name="Huaxin Trading", kind="organisation", is_key_account=True)
    customer_factory(name="Ordinary")
    supervisor = personas.supervisor
    assert services.callbacks_key_accounts_create(now=at(2026, 11, 2, 8)) == 1
    assert services.callbacks_key_accounts_create(now=at(2026, 11, 20, 8)) == 0  # same month: nothing
    cb = Callback.objects.get(customer=key)
    assert cb.reason == "key_account_periodic" and str(cb.period) == "2026-11-01"
    # the customer's owner is the front desk (first contact), whose role cannot open callbacks: with
    # no team agent, the work goes to a supervisor (followups.selectors.callback_owner_for)
    assert key.owner == personas.frontdesk and cb.owner == supervisor
    assert services.callbacks_key_accounts_create(now=at(2026, 12, 1, 8)) == 1


def test_key_account_callback_unique_in_database(customer_factory):
    from django.db import IntegrityError, transaction

    key = customer_factory(name="Huaxin Trading", kind="organisation", is_key_account=True)
    services.callbacks_key_accounts_create(now=at(2026, 11, 2, 8))
    with pytest.raises(IntegrityError), transaction.atomic():
        Callback.objects.create(customer=key, reason="key_account_periodic", period="2026-11-01",
                                due_at=at(2026, 11, 3), created_at=at(2026, 11, 2))


def test_manual_schedule_refuses_the_past(customer_factory, personas):
    customer = customer_factory()
    with time_machine.travel(at(2026, 11, 20, 10), tick=False):
        with pytest.raises(ValidationError):
            services.callback_schedule_manual(customer=customer, due_at=at(2026, 11, 19, 10), actor=personas.agent)
        cb = services.callback_schedule_manual(customer=customer, due_at=at(2026, 11, 23, 10), actor=personas.agent)
    assert cb.owner == personas.agent and cb.reason == "manual"


def test_cancel_needs_reason(make_ticket, personas):
    cb = Callback.objects.get(ticket=make_ticket(resolve_at=at(2026, 11, 18, 15)))
    with pytest.raises(ValidationError):
        services.callback_cancel(callback=cb, actor=personas.supervisor, reason=" ")
    cb = services.callback_cancel(callback=cb, actor=personas.supervisor, reason="Customer moved abroad")
    assert cb.status == "cancelled" and cb.next_reminder_at is None
