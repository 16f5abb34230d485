"""staff_facts: each figure on hand-counted data, local-day boundaries, fixed queries."""
from datetime import timedelta

import pytest
import time_machine

from monitoring.selectors import STAFF_FACTS_QUERIES, local_day_bounds, staff_facts

from .conftest import NOW, L


def today():
    return local_day_bounds(NOW.date())


@pytest.fixture
def staff(personas):
    return personas.agent, personas.frontdesk


@time_machine.travel(NOW, tick=False)
def test_contacts_and_handling_time_count_the_local_day(build, staff):
    agent, desk = staff
    # given: the local day starts at 00:00 Shanghai (16:00 UTC the day before)
    build.contact(desk, L(11, 17, 23, 59), minutes=60)  # yesterday: not counted
    build.contact(desk, L(11, 18, 0, 0), minutes=10)  # first moment of today
    build.contact(desk, L(11, 18, 9, 0), minutes=5)
    build.contact(desk, L(11, 18, 10, 0))  # no end yet: handled, not timed
    build.contact(desk, L(11, 19, 0, 0), minutes=1)  # tomorrow
    build.contact(agent, L(11, 18, 11, 0), minutes=2)
    # when
    start, end = today()
    facts = staff_facts(user_ids=[desk.pk, agent.pk], start=start, end=end)
    # then
    assert facts[desk.pk].contacts_handled == 3
    assert facts[desk.pk].contacts_timed == 2
    assert facts[desk.pk].avg_handling_seconds == 450.0  # (600 + 300) / 2
    assert facts[agent.pk].contacts_handled == 1
    assert facts[agent.pk].avg_handling_seconds == 120.0


@time_machine.travel(NOW, tick=False)
def test_first_response_compliance_uses_the_sla_rollup_by_owner(build, staff):
    from sla import rollup

    agent, desk = staff
    t1, t2, t3, t4 = (build.ticket(owner=agent) for _ in range(4))
    build.clock(t1, L(11, 18, 9), stopped=L(11, 18, 8), met=True)
    build.clock(t2, L(11, 18, 10), stopped=L(11, 18, 11), met=False)
    build.clock(t3, L(11, 17, 23, 59), stopped=L(11, 17, 20), met=True)  # due yesterday
    build.clock(t4, L(11, 18, 12))  # still running past its deadline: missed (not yet swept)
    rollup.rebuild()
    start, end = today()
    f = staff_facts(user_ids=[agent.pk], start=start, end=end)[agent.pk]
    assert (f.first_responses_met, f.first_responses_judged) == (1, 3)
    assert f.first_response_compliance == 33.3


@time_machine.travel(NOW, tick=False)
def test_callbacks_on_time(build, staff):
    agent, _desk = staff
    build.callback(agent, L(11, 18, 10), status="done", completed=L(11, 18, 9))  # on time
    build.callback(agent, L(11, 18, 11), status="done", completed=L(11, 18, 12))  # late
    build.callback(agent, L(11, 18, 17))  # pending, due later today: due, not on time
    build.callback(agent, L(11, 18, 9), status="cancelled")  # left out
    build.callback(agent, L(11, 17, 23), status="done", completed=L(11, 17, 22))  # yesterday
    start, end = today()
    f = staff_facts(user_ids=[agent.pk], start=start, end=end)[agent.pk]
    assert (f.callbacks_done_on_time, f.callbacks_due) == (1, 3)
    assert f.callbacks_on_time == 33.3


@time_machine.travel(NOW, tick=False)
def test_csat_is_the_average_overall_with_count_and_share(build, staff):
    agent, _desk = staff
    build.survey(agent, L(11, 18, 0, 0), 5)
    build.survey(agent, L(11, 18, 14), 2)
    build.survey(agent, L(11, 17, 23, 59), 1)  # yesterday
    start, end = today()
    f = staff_facts(user_ids=[agent.pk], start=start, end=end)[agent.pk]
    assert (f.csat, f.surveys, f.csat_pct) == (3.5, 2, 50.0)


@time_machine.travel(NOW, tick=False)
def test_valid_complaints_and_sla_at_risk(build, staff):
    agent, desk = staff
    build.complaint(agent, L(11, 18, 8))
    build.complaint(agent, L(11, 18, 9), valid=False)
    build.complaint(agent, L(11, 17, 23, 59))  # yesterday
    at_risk = build.ticket(owner=agent)
    build.clock(at_risk, NOW + timedelta(hours=2), warning=NOW - timedelta(minutes=5))
    build.clock(at_risk, NOW + timedelta(hours=20), target="resolution", warning=NOW - timedelta(minutes=1))
    breached = build.ticket(owner=agent)
    build.clock(breached, NOW - timedelta(minutes=30))
    calm = build.ticket(owner=agent)
    build.clock(calm, NOW + timedelta(hours=20), warning=NOW + timedelta(hours=10))
    stopped = build.ticket(owner=agent)
    build.clock(stopped, NOW - timedelta(hours=1), stopped=NOW - timedelta(hours=2), met=True)
    start, end = today()
    facts = staff_facts(user_ids=[agent.pk, desk.pk], start=start, end=end)
    assert facts[agent.pk].valid_complaints == 1
    assert facts[agent.pk].sla_at_risk == 2  # one ticket with two clocks at risk counts once
    assert facts[desk.pk].sla_at_risk == 0


@time_machine.travel(NOW, tick=False)
def test_a_month_span_works_too(build, staff):
    agent, desk = staff
    build.contact(desk, L(11, 1, 0, 0), minutes=4)
    build.contact(desk, L(11, 30, 23, 59), minutes=2)
    build.contact(desk, L(10, 31, 23, 59), minutes=2)
    facts = staff_facts(user_ids=[desk.pk], start=L(11, 1), end=L(12, 1))
    assert facts[desk.pk].contacts_handled == 2
    assert facts[desk.pk].avg_handling_seconds == 180.0


def test_people_with_nothing_get_empty_facts(db, personas):
    f = staff_facts(user_ids=[personas.agent.pk], start=L(11, 18), end=L(11, 19), now=NOW)[personas.agent.pk]
    assert f.contacts_handled == 0 and f.avg_handling_seconds is None and f.csat is None
    assert f.first_response_compliance is None and f.first_contact_resolution is None
    assert staff_facts(user_ids=[], start=L(11, 18), end=L(11, 19), now=NOW) == {}


@pytest.mark.parametrize("people", [1, 50])
def test_fixed_queries_whatever_the_number_of_people(build, django_assert_max_num_queries, people):
    from django.contrib.auth import get_user_model

    users = [get_user_model().objects.create_user(f"p{i}") for i in range(people)]
    for u in users:
        build.contact(u, L(11, 18, 9), minutes=3)
        build.survey(u, L(11, 18, 10), 4)
        build.callback(u, L(11, 18, 10))
    with django_assert_max_num_queries(STAFF_FACTS_QUERIES):
        facts = staff_facts(user_ids=[u.pk for u in users], start=L(11, 18), end=L(11, 19), now=NOW)
    assert all(f.contacts_handled == 1 and f.surveys == 1 and f.callbacks_due == 1 for f in facts.values())
