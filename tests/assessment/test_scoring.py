"""The monthly score (issue 18, "The rules" and "Done means")."""
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from assessment import selectors, services
from assessment.models import AssessmentEvent, EvaluationTask, Result

from .conftest import NOV, answers_totalling, at

pytestmark = pytest.mark.django_db


def _open(staff, month=NOV, now=None):
    return services.cycle_open(month=month, by=staff.manager, now=now or at(month.year, month.month, 1, 9))


def _score(cycle, person):
    return selectors.cycle_breakdowns(cycle=cycle, user_ids=[person.pk])[person.pk]


def test_defaults_are_the_departments_documents():
    from assessment.models import AssessmentSettings, EvaluatorKind, FormItem

    s = AssessmentSettings.current()
    assert (s.form_max, s.complaint_points, s.reward_amount, s.threshold, s.flag_months) == (
        60, Decimal("5"), Decimal("50"), Decimal("80"), 3)
    assert FormItem.objects.filter(active=True).count() == 14
    assert {k.code: k.weight for k in EvaluatorKind.objects.all()} == {
        "supervisor": 50, "marketing": 20, "production": 20, "peer": 10}


def test_opening_creates_one_form_per_evaluator_and_rings_each_once(staff):
    from servicedesk.models import Notification

    # when
    cycle = _open(staff)
    # then: agent has supervisor (team default) + marketing + production + 2 peers; agent2 has 4
    assert EvaluationTask.objects.filter(cycle=cycle, person=staff.agent).count() == 5
    assert EvaluationTask.objects.filter(cycle=cycle, person=staff.agent2).count() == 4
    assert EvaluationTask.objects.get(cycle=cycle, person=staff.agent, kind__code="supervisor").evaluator == staff.supervisor
    bells = Notification.objects.filter(url="/assessment/forms/")
    assert sorted(bells.values_list("recipient__username", flat=True)) == sorted(
        ["supervisor", "marketing", "production", "agent2", "frontdesk", "agent"])
    assert AssessmentEvent.objects.filter(action="cycle_opened", actor=staff.manager, cycle=cycle).exists()
    with pytest.raises(ValidationError):
        _open(staff)


def test_the_worked_example_gives_90(staff, fill):
    # given: supervisor 54/60, marketing 54/60, production 51/60, peers 60/60 (both peers)
    cycle = _open(staff)
    fill(cycle, staff.agent, staff.supervisor, 54)
    fill(cycle, staff.agent, staff.marketing, 54)
    fill(cycle, staff.agent, staff.production, 51)
    fill(cycle, staff.agent, staff.agent2, 60)
    fill(cycle, staff.agent, staff.frontdesk, 60)
    # when
    b = _score(cycle, staff.agent)
    # then: 45 + 18 + 17 + 10 = 90
    assert [k.points for k in b.kinds] == [Decimal("45"), Decimal("18"), Decimal("17"), Decimal("10")]
    assert b.score == Decimal("90")
    # and the locked result says the same
    services.cycle_close(cycle=cycle, by=staff.manager, now=at(2026, 12, 1, 9))
    result = Result.objects.get(cycle=cycle, person=staff.agent)
    assert (result.score, result.computed_score, result.reward, result.months_below) == (90, 90, 0, 0)


def test_several_peers_are_averaged(staff, fill):
    cycle = _open(staff)
    fill(cycle, staff.agent, staff.agent2, 60)
    fill(cycle, staff.agent, staff.frontdesk, 42)
    peer = _score(cycle, staff.agent).kinds[3]
    # (60 + 42) / 2 = 51 → 51/60 × 10 = 8.5
    assert (peer.code, peer.forms_in, peer.average, peer.points) == ("peer", 2, Decimal("51"), Decimal("8.5"))


def test_a_kind_with_no_form_in_counts_zero_and_is_shown_missing(staff, fill):
    cycle = _open(staff)
    fill(cycle, staff.agent, staff.supervisor, 60)
    b = _score(cycle, staff.agent)
    assert b.score == Decimal("50")  # not renormalised to 100
    assert [k.code for k in b.missing_kinds] == ["marketing", "production", "peer"]


def test_each_valid_complaint_costs_five_points(staff, fill, valid_complaint):
    cycle = _open(staff)
    for evaluator in (staff.supervisor, staff.marketing, staff.production, staff.agent2, staff.frontdesk):
        fill(cycle, staff.agent, evaluator, 60)
    valid_complaint(staff.agent, at(2026, 11, 5))
    valid_complaint(staff.agent, at(2026, 11, 28))
    valid_complaint(staff.agent, at(2026, 10, 31))  # October: not this month
    b = _score(cycle, staff.agent)
    assert (b.complaints, b.complaint_deduction, b.score) == (2, Decimal("10"), Decimal("90"))


def test_points_per_complaint_is_a_setting_copied_into_the_cycle(staff, fill, valid_complaint):
    from assessment.models import AssessmentSettings

    AssessmentSettings.objects.filter(pk=1).update(complaint_points=Decimal("3"))
    cycle = _open(staff)
    AssessmentSettings.objects.filter(pk=1).update(complaint_points=Decimal("9"))  # after opening: no effect
    fill(cycle, staff.agent, staff.supervisor, 60)
    valid_complaint(staff.agent, at(2026, 11, 5))
    assert _score(cycle, staff.agent).score == Decimal("47")


def test_demerits_and_qa_from_the_quality_area_are_subtracted(staff, fill, customer_factory, settings):
    """Real slips and a real inspection finding (quality.services), a withdrawn slip and a slip of the
    month after that do not count."""
    from quality import services as quality
    from quality.models import ChecklistItem, DemeritCategory, InspectionTask, SeverityLevel
    from tickets.services import ticket_create, ticket_transition

    settings.QUALITY_SAMPLE_TICKETS = 5
    cycle = _open(staff)
    fill(cycle, staff.agent, staff.supervisor, 60)
    category = DemeritCategory.objects.first()
    quality.slip_record(person=staff.agent, category=category, description="Desk left", points=Decimal("2"),
                        occurred_at=at(2026, 11, 10), recorded_by=staff.manager, now=at(2026, 11, 10, 11))
    withdrawn = quality.slip_record(person=staff.agent, category=category, description="Slow", points=Decimal("3"),
                                    occurred_at=at(2026, 11, 11), recorded_by=staff.manager, now=at(2026, 11, 11, 11))
    quality.slip_withdraw(slip=withdrawn, by=staff.manager, reason="Wrong person", now=at(2026, 11, 12))
    quality.slip_record(person=staff.agent, category=category, description="December", points=Decimal("4"),
                        occurred_at=at(2026, 12, 1, 0, 30), recorded_by=staff.manager, now=at(2026, 12, 1, 9))
    # a ticket the agent resolved on 14 November is sampled on the 15th and a finding is recorded
    ticket = ticket_create(customer=customer_factory(name="抽检客户"), kind="repair", subject="漏水",
                           created_by=staff.frontdesk, assignee=staff.agent, now=at(2026, 11, 14, 9))
    ticket_transition(ticket=ticket, to_status="resolved", actor=staff.agent, now=at(2026, 11, 14, 15))
    quality.sample_create_daily(now=at(2026, 11, 15, 7))
    task = InspectionTask.objects.get(person=staff.agent)
    level = SeverityLevel.objects.order_by("points").first()
    quality.inspection_record(task=task, inspector=staff.supervisor, now=at(2026, 11, 15, 10),
                              results=[(ChecklistItem.objects.first(), level, "记录不清")])
    b = _score(cycle, staff.agent)
    assert (b.demerits, b.qa) == (Decimal("2"), level.points)
    assert b.score == Decimal("50") - Decimal("2") - level.points


def test_full_score_earns_the_reward(staff, fill):
    cycle = _open(staff)
    for evaluator in (staff.supervisor, staff.marketing, staff.production, staff.agent2, staff.frontdesk):
        fill(cycle, staff.agent, evaluator, 60)
    services.cycle_close(cycle=cycle, by=staff.manager, now=at(2026, 12, 1, 9))
    assert Result.objects.get(cycle=cycle, person=staff.agent).reward == Decimal("50")
    assert Result.objects.get(cycle=cycle, person=staff.agent2).reward == Decimal("0")


def test_score_is_clamped_at_zero(staff, valid_complaint):
    cycle = _open(staff)
    valid_complaint(staff.agent, at(2026, 11, 5))
    assert _score(cycle, staff.agent).score == Decimal("0")


def _month(staff, fill, month, agent_total):
    cycle = _open(staff, month=month)
    fill(cycle, staff.agent, staff.supervisor, agent_total, now=at(month.year, month.month, 20))
    for evaluator in (staff.marketing, staff.production, staff.agent2, staff.frontdesk):
        fill(cycle, staff.agent, evaluator, 60, now=at(month.year, month.month, 20))
    services.cycle_close(cycle=cycle, by=staff.manager, now=at(month.year, month.month, 28))
    return Result.objects.get(cycle=cycle, person=staff.agent)


@pytest.mark.parametrize("months, flagged_last", [
    ([(2026, 9), (2026, 10), (2026, 11)], True),   # three running
    ([(2026, 10), (2026, 11)], False),              # two
    ([(2026, 7), (2026, 8), (2026, 10)], False),    # a gap (no cycle in September)
])
def test_three_consecutive_months_below_80_are_flagged(staff, fill, months, flagged_last):
    from datetime import date

    results = [_month(staff, fill, date(y, m, 1), 30) for y, m in months]  # 25 + 50 = 75 < 80
    assert results[-1].score == Decimal("75")
    assert results[-1].flagged is flagged_last
    assert results[-1].months_below == (3 if flagged_last else (2 if len(months) == 2 else 1))


def test_a_month_at_80_breaks_the_run(staff, fill):
    from datetime import date

    _month(staff, fill, date(2026, 8, 1), 30)
    _month(staff, fill, date(2026, 9, 1), 36)  # 30 + 50 = 80
    _month(staff, fill, date(2026, 10, 1), 30)
    last = _month(staff, fill, date(2026, 11, 1), 30)
    assert (last.months_below, last.flagged) == (2, False)


def test_closed_cycle_is_locked_against_later_data(staff, fill, valid_complaint):
    cycle = _open(staff)
    fill(cycle, staff.agent, staff.supervisor, 54)
    services.cycle_close(cycle=cycle, by=staff.manager, now=at(2026, 12, 1, 9))
    before = Result.objects.get(cycle=cycle, person=staff.agent).score
    # when: a complaint about November is found valid later, and the evaluator tries to change the form
    valid_complaint(staff.agent, at(2026, 11, 15))
    task = EvaluationTask.objects.get(cycle=cycle, person=staff.agent, evaluator=staff.supervisor)
    with pytest.raises(ValidationError):
        services.evaluation_submit(task=task, by=staff.supervisor, answers=answers_totalling(cycle, 60),
                                   now=at(2026, 12, 2))
    with pytest.raises(ValidationError):
        services.cycle_close(cycle=cycle, by=staff.manager)
    # then
    assert Result.objects.get(cycle=cycle, person=staff.agent).score == before == Decimal("45")


def test_a_correction_is_a_logged_adjustment(staff, fill):
    cycle = _open(staff)
    fill(cycle, staff.agent, staff.supervisor, 54)
    services.cycle_close(cycle=cycle, by=staff.manager, now=at(2026, 12, 1, 9))
    result = Result.objects.get(cycle=cycle, person=staff.agent)
    adj = services.result_adjust(result=result, by=staff.manager, points=Decimal("5"), reason="复核加分",
                                 now=at(2026, 12, 3))
    result.refresh_from_db()
    assert (adj.score_before, adj.score_after, result.computed_score, result.score) == (45, 50, 45, 50)
    event = AssessmentEvent.objects.get(action="score_adjusted")
    assert (event.actor, event.detail["before"], event.detail["after"]) == (staff.manager, "45.00", "50.00")
    with pytest.raises(ValidationError):
        services.result_adjust(result=result, by=staff.manager, points=Decimal("1"), reason="  ")


def test_form_validation(staff):
    cycle = _open(staff)
    task = EvaluationTask.objects.get(cycle=cycle, person=staff.agent, evaluator=staff.supervisor)
    answers = answers_totalling(cycle, 60)
    with pytest.raises(ValidationError):  # not their form
        services.evaluation_submit(task=task, by=staff.marketing, answers=answers)
    bad = dict(answers)
    bad[next(iter(bad))] = 6
    with pytest.raises(ValidationError):  # above the item's maximum
        services.evaluation_submit(task=task, by=staff.supervisor, answers=bad)
    missing = dict(answers)
    missing.pop(next(iter(missing)))
    with pytest.raises(ValidationError):  # an item not scored
        services.evaluation_submit(task=task, by=staff.supervisor, answers=missing)
    task.refresh_from_db()
    assert task.submitted_at is None


def test_later_edits_of_the_form_do_not_change_an_open_cycle(staff, fill):
    from assessment.models import EvaluatorKind, FormItem

    cycle = _open(staff)
    FormItem.objects.update(max_points=0)
    EvaluatorKind.objects.filter(code="supervisor").update(weight=90)
    fill(cycle, staff.agent, staff.supervisor, 60)
    assert _score(cycle, staff.agent).score == Decimal("50")


@time_machine.travel(at(2026, 11, 20, 12), tick=False)
def test_close_with_many_people_is_a_fixed_number_of_queries(staff, django_assert_max_num_queries, personas):
    from tests.conftest import make_user

    cycle = _open(staff)
    with django_assert_max_num_queries(12):
        services.cycle_close(cycle=cycle, by=staff.manager)
    n_small = Result.objects.filter(cycle=cycle).count()
    for i in range(30):
        make_user(f"many{i}", "agent")
    cycle2 = services.cycle_open(month=cycle.month.replace(month=12), by=staff.manager)
    with django_assert_max_num_queries(12):
        services.cycle_close(cycle=cycle2, by=staff.manager)
    assert Result.objects.filter(cycle=cycle2).count() == n_small + 30


def test_a_supervisor_who_left_gets_no_forms_and_the_kind_shows_missing(staff):
    staff.supervisor.is_active = False
    staff.supervisor.save(update_fields=["is_active"])
    cycle = _open(staff)
    assert not EvaluationTask.objects.filter(cycle=cycle, evaluator=staff.supervisor).exists()
    assert "supervisor" in [k.code for k in _score(cycle, staff.agent).missing_kinds]

