"""Deadlines computed through the calendar models (weekends, holidays, 调休, lunch, zones) and the
policy precedence, for tickets opened through the tickets service."""
from datetime import date, time, timedelta
from decimal import Decimal

import pytest

from sla import selectors
from sla.models import BusinessCalendar, BusinessHours, CalendarDay, SLAClock, SLAPolicy, SLATarget
from sla.services import policy_match

from tests.sla.slatime import at

pytestmark = pytest.mark.django_db


def test_default_calendar_ships_2026_holidays_and_makeup_days(default_calendar):
    # given the migration-installed Chinese calendar
    days = dict(CalendarDay.objects.filter(calendar=default_calendar).values_list("date", "kind"))
    # then National Day is off and Saturday 10 October 2026 is a make-up working day
    assert days[date(2026, 10, 1)] == CalendarDay.Kind.HOLIDAY
    assert days[date(2026, 10, 10)] == CalendarDay.Kind.WORKDAY
    cal = selectors.working_calendar()
    assert not cal.is_working_day(date(2026, 10, 7))
    assert cal.is_working_day(date(2026, 10, 10))
    assert cal.hours_on(date(2026, 10, 12)) == ((time(9), time(12)), (time(13), time(18)))


def test_complaint_before_national_day_gets_working_time_deadlines(open_ticket):
    # given a complaint opened on Wednesday 30 September 2026 at 17:30, the eve of the Golden Week
    ticket = open_ticket(kind="complaint", now=at(2026, 9, 30, 17, 30))
    # when its deadlines are read
    deadlines = selectors.ticket_deadlines(ticket)
    # then first response is 24 h on the all-day clock, investigation 1 working day (30 min on the
    # 30th + 7.5 h on Thursday 8 October), solution 5 working days (…, Saturday 10 October is a
    # make-up working day, lunch 12–13 excluded) → Tuesday 13 October 17:30
    assert deadlines["first_response"] == at(2026, 10, 1, 17, 30)
    assert deadlines["investigation"] == at(2026, 10, 8, 17, 30)
    assert deadlines["solution"] == at(2026, 10, 13, 17, 30)
    assert list(deadlines) == ["first_response", "resolution", "investigation", "solution"]


def test_lunch_break_and_weekend_are_not_working_time(open_ticket):
    # given an urgent repair (resolution: 1 working day) opened Friday 11:30
    ticket = open_ticket(priority=0, now=at(2026, 11, 20, 11, 30))
    deadlines = selectors.ticket_deadlines(ticket)
    # then 30 min before lunch, 5 h after, the weekend skipped, 2.5 h on Monday → Monday 11:30
    assert deadlines["resolution"] == at(2026, 11, 23, 11, 30)
    assert deadlines["first_response"] == at(2026, 11, 20, 15, 30)


def test_manager_entered_makeup_day_counts_as_working_time(open_ticket, default_calendar):
    # given 2027 has no make-up days in the library; a manager enters Saturday 9 January 2027
    CalendarDay.objects.create(calendar=default_calendar, date=date(2027, 1, 9), kind="workday", name="调休")
    # when a repair (resolution 2 working days) opens Friday 8 January 2027 at 09:00
    ticket = open_ticket(now=at(2027, 1, 8, 9))
    # then Friday + Saturday make two working days: deadline Saturday 18:00, not Monday
    assert selectors.ticket_deadlines(ticket)["resolution"] == at(2027, 1, 9, 18)


def test_working_calendar_cache_sees_a_new_holiday_at_once(default_calendar):
    assert selectors.working_calendar().is_working_day(date(2026, 12, 1))
    CalendarDay.objects.create(calendar=default_calendar, date=date(2026, 12, 1), kind="holiday", name="Office move")
    assert not selectors.working_calendar().is_working_day(date(2026, 12, 1))


def test_zone_change_moves_new_deadlines_not_existing_ones(open_ticket, default_calendar):
    # given a repair opened under the Shanghai calendar
    before = open_ticket(now=at(2026, 11, 23, 9))
    # when the manager moves the calendar to Tokyo (one hour ahead, no DST)
    default_calendar.time_zone = "Asia/Tokyo"
    default_calendar.save()
    after = open_ticket(now=at(2026, 11, 23, 9))
    # then the existing ticket keeps its deadline; the new one works Tokyo hours (09:00 Shanghai =
    # 10:00 Tokyo: 7 h Monday + 8 h Tuesday + 1 h Wednesday → Wednesday 10:00 Tokyo = 09:00 Shanghai)
    assert selectors.ticket_deadlines(before)["resolution"] == at(2026, 11, 24, 18)
    assert selectors.ticket_deadlines(after)["resolution"] == at(2026, 11, 25, 9)
    assert selectors.working_calendar().tz.key == "Asia/Tokyo"


def test_half_day_saturday_hours_from_the_model(default_calendar, open_ticket):
    # given Saturday mornings are worked (no lunch break)
    BusinessHours.objects.create(calendar=default_calendar, weekday=5, start=time(9), end=time(12))
    ticket = open_ticket(now=at(2026, 11, 20, 17))  # Friday 17:00, resolution 16 working hours
    # 1 h Friday + 3 h Saturday + 8 h Monday + 4 h Tuesday (09–12, 13–14)
    assert selectors.ticket_deadlines(ticket)["resolution"] == at(2026, 11, 24, 14)


def test_ticket_deadlines_uses_prefetched_clocks(open_ticket, django_assert_num_queries):
    from tickets.models import Ticket

    ticket = open_ticket(now=at(2026, 11, 23, 9))
    loaded = Ticket.objects.prefetch_related("sla_clocks").get(pk=ticket.pk)
    with django_assert_num_queries(0):
        assert set(selectors.ticket_deadlines(loaded)) == {"first_response", "resolution"}


# --- policy precedence ----------------------------------------------------------------------------

def _values(**kw):
    return {"kind": "repair", "priority": 2, "tier": "basic", "channel": "phone", **kw}


def test_most_specific_policy_wins_then_order():
    policies = list(SLAPolicy.objects.all())
    # Diamond (1 criterion, order 10) beats Repair (1 criterion, order 100): same specificity, lower order
    assert policy_match(policies=policies, **_values(tier="diamond")).name == "Diamond"
    # Urgent repair (2 criteria) beats Diamond (1)
    assert policy_match(policies=policies, **_values(tier="diamond", priority=0)).name == "Urgent repair"
    assert policy_match(policies=policies, **_values(kind="inquiry")).name == "Default"
    assert policy_match(policies=policies, **_values(kind="complaint", tier="gold")).name == "Gold complaint"


def test_inactive_policy_is_ignored_and_ties_go_to_older():
    web = SLAPolicy.objects.create(name="Web repairs", kind="repair", channel="web", order=50)
    SLAPolicy.objects.create(name="Web repairs 2", kind="repair", channel="web", order=50)
    policies = list(SLAPolicy.objects.all())
    assert policy_match(policies=policies, **_values(channel="web")) == web
    web.is_active = False
    web.save()
    assert policy_match(policies=list(SLAPolicy.objects.all()), **_values(channel="web")).name == "Web repairs 2"


def test_default_targets_per_domain(open_ticket):
    # every repair and complaint: first response within 24 h; Diamond 8 h; Gold 12 h; urgent 4 h
    cases = [({}, 24), ({"tier": "diamond"}, 8), ({"tier": "gold"}, 12), ({"priority": 0}, 4), ({"kind": "complaint"}, 24)]
    for kw, hours in cases:
        ticket = open_ticket(now=at(2026, 11, 23, 9), **kw)
        clock = SLAClock.objects.get(ticket=ticket, target="first_response")
        assert clock.duration == timedelta(hours=hours), kw
        assert clock.clock == "all_day"


def test_policy_edit_does_not_move_open_tickets(open_ticket):
    ticket = open_ticket(now=at(2026, 11, 23, 9))
    SLATarget.objects.filter(policy__name="Repair", target="first_response").update(hours=Decimal(2))
    assert selectors.ticket_deadlines(ticket)["first_response"] == at(2026, 11, 24, 9)
    newer = open_ticket(now=at(2026, 11, 23, 9))
    assert selectors.ticket_deadlines(newer)["first_response"] == at(2026, 11, 23, 11)


def test_inquiry_gets_no_complaint_targets(open_ticket):
    ticket = open_ticket(kind="inquiry", now=at(2026, 11, 23, 9))
    assert set(selectors.ticket_deadlines(ticket)) == {"first_response", "resolution"}
    assert BusinessCalendar.objects.filter(is_default=True).count() == 1
