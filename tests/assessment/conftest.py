from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import make_user

TZ = ZoneInfo("Asia/Shanghai")
NOV = date(2026, 11, 1)


def at(y, mo, d, h=10, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=TZ)


def answers_totalling(cycle, total: int) -> dict:
    """Answers for every item of the cycle's form that add up to `total` (each within its maximum)."""
    out = {}
    left = total
    for item in cycle.snapshot["items"]:
        v = min(int(item["max"]), left)
        out[item["id"]] = v
        left -= v
    assert left == 0, "total above the form's items"
    return out


@pytest.fixture
def staff(personas):
    """The people of the worked example: two agents in a team supervised by `supervisor`, a marketing
    head, a production head and two peers (agents2 evaluates agent as a peer, a front-desk peer too)."""
    from assessment.models import EvaluatorKind
    from assessment.services import evaluator_assign
    from servicedesk.models import StaffProfile, Team

    team = Team.objects.create(name="客服组", name_en="Service", supervisor=personas.supervisor)
    for user in (personas.agent, personas.agent2):
        StaffProfile.objects.update_or_create(user=user, defaults={"team": team})
    marketing = make_user("marketing", None)
    production = make_user("production", None)
    kinds = {k.code: k for k in EvaluatorKind.objects.all()}
    for person in (personas.agent, personas.agent2):
        evaluator_assign(person=person, evaluator=marketing, kind=kinds["marketing"], by=personas.manager)
        evaluator_assign(person=person, evaluator=production, kind=kinds["production"], by=personas.manager)
    evaluator_assign(person=personas.agent, evaluator=personas.agent2, kind=kinds["peer"], by=personas.manager)
    evaluator_assign(person=personas.agent, evaluator=personas.frontdesk, kind=kinds["peer"], by=personas.manager)
    evaluator_assign(person=personas.agent2, evaluator=personas.agent, kind=kinds["peer"], by=personas.manager)

    class Staff:
        pass

    s = Staff()
    s.team, s.marketing, s.production, s.kinds = team, marketing, production, kinds
    s.agent, s.agent2, s.frontdesk, s.supervisor, s.manager = (personas.agent, personas.agent2, personas.frontdesk,
                                                                personas.supervisor, personas.manager)
    return s


@pytest.fixture
def fill():
    """fill(cycle, person, evaluator, total): the evaluator submits their form about person."""
    from assessment.models import EvaluationTask
    from assessment.services import evaluation_submit

    def _fill(cycle, person, evaluator, total, now=None):
        task = EvaluationTask.objects.get(cycle=cycle, person=person, evaluator=evaluator)
        return evaluation_submit(task=task, by=evaluator, answers=answers_totalling(cycle, total),
                                 now=now or at(cycle.month.year, cycle.month.month, 20))

    return _fill


@pytest.fixture
def valid_complaint(customer_factory, personas):
    """valid_complaint(staff_member, when): a complaint ticket opened then, found valid against them."""
    from tickets.models import Complaint
    from tickets.services import ticket_create

    def _make(staff_member, when):
        ticket = ticket_create(customer=customer_factory(name="投诉客户"), kind="complaint", subject="态度差",
                               created_by=personas.frontdesk, now=when)
        Complaint.objects.filter(ticket=ticket).update(staff_member=staff_member, staff_complaint_valid=True)
        return ticket

    return _make
