"""deductions_by_person(): what the assessment score subtracts for slips and QA findings."""
from decimal import Decimal

import pytest
import time_machine

from quality.selectors import deductions_by_person
from quality.services import finding_overturn, slip_withdraw
from reports.periods import local_midnight

from .conftest import at

pytestmark = pytest.mark.django_db

MARCH = (local_midnight(at(2026, 3, 1).date()), local_midnight(at(2026, 4, 1).date()))


@time_machine.travel(at(2026, 4, 2), tick=False)
def test_sums_slips_and_findings_per_person_within_the_local_month(personas, make_slip, make_finding):
    # given: slips for the front desk and the agent, findings for the agent, at the month's local edges
    make_slip(person=personas.frontdesk, occurred_at=at(2026, 3, 1, 0, 0, 0), points=Decimal("2"))  # first second
    make_slip(person=personas.frontdesk, occurred_at=at(2026, 3, 31, 23, 59, 59), points=Decimal("1.5"))  # last
    make_slip(person=personas.frontdesk, occurred_at=at(2026, 2, 28, 23, 59, 59), points=Decimal("7"))  # Feb
    make_slip(person=personas.frontdesk, occurred_at=at(2026, 4, 1, 0, 0, 0), points=Decimal("9"),
              )  # April
    make_slip(person=personas.agent, occurred_at=at(2026, 3, 15), points=None)  # category default: 2
    make_finding(person=personas.agent, occurred_at=at(2026, 3, 31, 23, 30), level="medium")  # 3
    make_finding(person=personas.agent, occurred_at=at(2026, 3, 2, 9), level="heavy")  # 5
    make_finding(person=personas.agent, occurred_at=at(2026, 4, 1, 0, 10), level="heavy")  # April

    # when
    got = deductions_by_person(start=MARCH[0], end=MARCH[1])

    # then: 00:00 local on the 1st is in (UTC it is the previous day 16:00), 00:00 on the next 1st is out
    assert got == {
        personas.frontdesk.pk: {"demerits": Decimal("3.5"), "qa": Decimal("0")},
        personas.agent.pk: {"demerits": Decimal("2"), "qa": Decimal("8")},
    }


@time_machine.travel(at(2026, 4, 2), tick=False)
def test_withdrawn_slips_and_overturned_findings_do_not_count(personas, make_slip, make_finding):
    kept = make_slip(person=personas.frontdesk, points=Decimal("1"))
    dropped = make_slip(person=personas.frontdesk, points=Decimal("4"))
    finding = make_finding(person=personas.agent, occurred_at=at(2026, 3, 5))
    slip_withdraw(slip=dropped, by=personas.manager, reason="Cover had been arranged")
    finding_overturn(finding=finding, by=personas.supervisor, reason="The number was in the SMS")

    got = deductions_by_person(start=MARCH[0], end=MARCH[1])

    assert got == {personas.frontdesk.pk: {"demerits": Decimal("1"), "qa": Decimal("0")}}
    assert kept.pk and personas.agent.pk not in got


@time_machine.travel(at(2026, 4, 2), tick=False)
def test_user_ids_limits_the_people(personas, make_slip):
    make_slip(person=personas.frontdesk, points=Decimal("1"))
    make_slip(person=personas.agent, points=Decimal("2"))

    assert set(deductions_by_person(start=MARCH[0], end=MARCH[1], user_ids=[personas.agent.pk])) == {personas.agent.pk}
    assert deductions_by_person(start=MARCH[0], end=MARCH[1], user_ids=[]) == {}


@pytest.mark.parametrize("people", [1, 30])
@time_machine.travel(at(2026, 4, 2), tick=False)
def test_fixed_number_of_queries(people, personas, make_slip, django_assert_max_num_queries):
    from tests.conftest import make_user

    for i in range(people):
        user = make_user(f"desk{i}", "frontdesk")
        make_slip(person=user, points=Decimal("1"))
        make_slip(person=user, points=Decimal("0.5"))

    with django_assert_max_num_queries(2):
        got = deductions_by_person(start=MARCH[0], end=MARCH[1])

    assert len(got) == people
    assert all(v["demerits"] == Decimal("1.5") for v in got.values())


@time_machine.travel(at(2026, 4, 2), tick=False)
def test_a_finding_counts_in_the_month_the_work_was_done_not_when_inspected(personas, make_finding):
    from quality.models import Finding

    finding = make_finding(person=personas.agent, occurred_at=at(2026, 3, 31, 18))
    Finding.objects.filter(pk=finding.pk).update(found_at=at(2026, 4, 1, 9))  # inspected the next morning

    assert deductions_by_person(start=MARCH[0], end=MARCH[1])[personas.agent.pk]["qa"] == Decimal("3")
