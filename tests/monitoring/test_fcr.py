"""First-contact resolution: the definition's cases (monitoring.selectors.fcr_by_person)."""
from datetime import timedelta

import pytest
import time_machine

from monitoring.selectors import fcr_by_person, staff_facts

from .conftest import L

# The contacts are on 1 November; the clock is 20 November: every 7-day window has passed.
LATER = L(11, 20, 12)
SPAN = (L(11, 1), L(11, 2))


def opened(build, desk, *, resolved_after_days=1, reopened=False, at=None):
    at = at or L(11, 1, 10)
    t = build.ticket(created=at, status="resolved", resolved=at + timedelta(days=resolved_after_days),
                     reopened=at + timedelta(days=3) if reopened else None)
    build.contact(desk, at, minutes=5, ticket=t)
    return t


def fcr(desk, now=LATER, **kw):
    return fcr_by_person(start=SPAN[0], end=SPAN[1], now=now, user_ids=[desk.pk], **kw).get(desk.pk, (0, 0))


def test_resolved_with_no_second_contact_is_fcr(build, personas):
    opened(build, personas.frontdesk)
    assert fcr(personas.frontdesk) == (1, 1)


def test_a_second_contact_from_the_customer_within_n_days_is_not(build, personas):
    opened(build, personas.frontdesk)
    build.contact(personas.agent, L(11, 5, 9), minutes=3)  # same customer, day 4, no ticket linked
    assert fcr(personas.frontdesk) == (0, 1)


def test_a_second_contact_after_the_window_still_counts_as_fcr(build, personas):
    opened(build, personas.frontdesk)
    build.contact(personas.agent, L(11, 8, 10, 1), minutes=3)  # 7 days and a minute later
    assert fcr(personas.frontdesk) == (1, 1)


def test_an_outbound_call_to_the_customer_is_not_a_second_contact(build, personas):
    opened(build, personas.frontdesk)
    build.contact(personas.agent, L(11, 3, 9), minutes=3, direction="out")  # our callback
    assert fcr(personas.frontdesk) == (1, 1)


def test_a_reopened_ticket_is_not(build, personas):
    opened(build, personas.frontdesk, reopened=True)
    assert fcr(personas.frontdesk) == (0, 1)


def test_resolved_after_the_window_is_not(build, personas):
    opened(build, personas.frontdesk, resolved_after_days=9)
    assert fcr(personas.frontdesk) == (0, 1)


def test_still_inside_the_window_is_not_yet_counted(build, personas):
    opened(build, personas.frontdesk)
    assert fcr(personas.frontdesk, now=L(11, 5, 12)) == (0, 0)
    assert fcr(personas.frontdesk, now=L(11, 8, 10)) == (1, 1)  # exactly N days later: judged


def test_n_is_a_setting(build, personas, settings):
    opened(build, personas.frontdesk)
    build.contact(personas.agent, L(11, 5, 9), minutes=3)
    settings.MONITORING_FCR_DAYS = 3
    assert fcr(personas.frontdesk) == (1, 1)


def test_only_the_tickets_first_contact_is_judged_and_other_customers_do_not_matter(build, personas):
    t = opened(build, personas.frontdesk)
    build.contact(personas.agent, L(11, 1, 11), minutes=3, ticket=t)  # a later contact about the same ticket
    other = build.new_customer("Zhao Lei")
    build.contact(personas.agent, L(11, 2, 9), minutes=3, customer=other)
    # the desk's contact: not FCR (a second contact about its ticket); the agent's is not the first
    assert fcr(personas.frontdesk) == (0, 1)
    assert fcr_by_person(start=SPAN[0], end=L(11, 3), now=LATER, user_ids=[personas.agent.pk]) == {}


@time_machine.travel(LATER, tick=False)
def test_staff_facts_carries_the_rate(build, personas):
    opened(build, personas.frontdesk)
    opened(build, personas.frontdesk, reopened=True, at=L(11, 1, 14))
    opened(build, personas.frontdesk, at=L(11, 1, 16))
    f = staff_facts(user_ids=[personas.frontdesk.pk], start=SPAN[0], end=SPAN[1])[personas.frontdesk.pk]
    # the first and third: each other's second contact? No — the third starts 6 h after the first, from
    # the same customer, so the first is not FCR; the second is reopened; the third is FCR.
    assert (f.fcr_resolved, f.fcr_judged) == (1, 3)
    assert f.first_contact_resolution == pytest.approx(33.3)
