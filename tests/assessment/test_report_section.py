"""The monthly report's staff section: the closed month's results summed up (figures, no names), from the
one definition in assessment.selectors.staff_summary, against the month before."""
from datetime import date
from decimal import Decimal

import pytest

from assessment import services
from assessment.models import Result
from reports import selectors as report_selectors
from reports.periods import period_containing

from .conftest import at

pytestmark = pytest.mark.django_db
OCT, NOV = date(2026, 10, 1), date(2026, 11, 1)


def _close_month(staff, fill, month, totals):
    """totals: {person: {evaluator: form total}}; the month is opened, filled and closed."""
    cycle = services.cycle_open(month=month, by=staff.manager, now=at(month.year, month.month, 1, 9))
    for person, forms in totals.items():
        for evaluator, total in forms.items():
            fill(cycle, person, evaluator, total, now=at(month.year, month.month, 20))
    services.cycle_close(cycle=cycle, by=staff.manager, now=at(month.year, month.month, 28))
    return cycle


@pytest.fixture
def two_months(staff, fill):
    full = {staff.supervisor: 60, staff.marketing: 60, staff.production: 60}
    _close_month(staff, fill, OCT, {staff.agent: {**full, staff.agent2: 60, staff.frontdesk: 60},
                                    staff.agent2: {**full, staff.agent: 60}})
    _close_month(staff, fill, NOV, {
        staff.agent: {staff.supervisor: 30, staff.marketing: 60, staff.production: 60, staff.agent2: 60,
                      staff.frontdesk: 60},  # 25 + 20 + 20 + 10 = 75
        staff.agent2: {staff.supervisor: 54, staff.marketing: 54, staff.production: 51, staff.agent: 60},  # 90
    })
    return staff


def test_the_summary_equals_the_results_counted_one_by_one(two_months, django_assert_max_num_queries):
    staff = two_months
    with django_assert_max_num_queries(2):
        s = report_selectors_summary(NOV)
    nov = {r.person_id: r.score for r in Result.objects.filter(cycle__month=NOV)}
    octo = {r.person_id: r.score for r in Result.objects.filter(cycle__month=OCT)}
    assert (nov[staff.agent.pk], nov[staff.agent2.pk], octo[staff.agent.pk], octo[staff.agent2.pk]) == (75, 90, 100, 100)
    both = [p for p in nov if p in octo]
    assert s["people"] == len(nov)
    assert s["average"] == (sum(nov.values()) / len(nov)).quantize(Decimal("0.01"))
    assert (s["full"], s["from_90"], s["from_80"]) == (
        sum(v >= 100 for v in nov.values()), sum(90 <= v < 100 for v in nov.values()),
        sum(80 <= v < 90 for v in nov.values()))
    assert s["below"] == sum(v < 80 for v in nov.values())
    assert s["rose"] == sum(nov[p] - octo[p] >= 5 for p in both) == 0
    assert s["fell"] == sum(octo[p] - nov[p] >= 5 for p in both) == 2  # agent −25, agent2 −10
    assert s["compared"] == len(both)


def report_selectors_summary(month):
    from assessment.selectors import staff_summary

    return staff_summary(month=month)


def test_a_team_counts_only_its_people(two_months):
    from assessment.selectors import staff_summary

    s = staff_summary(month=NOV, team=two_months.team)
    assert (s["people"], s["from_90"], s["below"], s["fell"]) == (2, 1, 1, 2)


def test_the_report_section_shows_the_closed_month_against_the_one_before(two_months):
    section = report_selectors.staff_section(period=period_containing("month", NOV))
    assert section["note"] == "" and section["figures"]["fell"]["value"] == 2
    assert section["figures"]["full"] == {"value": 0, "previous": 2, "change": {"direction": "down", "pct": 100.0}}
    assert [row[1:] for row in section["tables"]["staff_bands"]["rows"]][0] == [0, 2]


def test_an_open_month_or_a_week_says_why_there_are_no_scores(staff, fill):
    services.cycle_open(month=NOV, by=staff.manager, now=at(2026, 11, 1, 9))
    open_month = report_selectors.staff_section(period=period_containing("month", NOV))
    assert "No closed assessment" in str(open_month["note"]) and open_month["figures"] == {}
    week = report_selectors.staff_section(period=period_containing("week", NOV))
    assert "monthly" in str(week["note"])


@pytest.mark.parametrize("role, sees_link", [("manager", True), ("supervisor", True)])
def test_the_report_page_shows_figures_and_links_names_only_to_who_may_see_them(two_months, client_for, role,
                                                                                sees_link):
    body = client_for(role).get("/reports/", {"period": "month", "date": "2026-11-01"}).content.decode()
    assert 'id="sec-staff"' in body and "People per score band" in body
    assert two_months.agent.get_full_name() not in body.split('id="sec-staff"')[1].split("</section>")[0]
    assert ("/assessment/cycles/" in body) is sees_link
