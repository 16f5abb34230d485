"""Pages: per-role access, fixed query counts with one and many rows, manager edits."""
from datetime import date

import pytest
import time_machine
from django.urls import reverse

from servicedesk.models import Team
from sla.models import CalendarDay, SLAClock, SLAPolicy
from sla.services import sla_sweep
from tests.sla.slatime import at
from tickets.services import ticket_reply, ticket_transition

pytestmark = pytest.mark.django_db

NOW = at(2026, 11, 25, 10)


@pytest.fixture
def team(personas):
    return Team.objects.create(name="Repairs", supervisor=personas.supervisor)


def _fill(open_ticket, personas, team, n):
    """n tickets across kinds and tiers: some answered in time, some late, some breached and open."""
    kinds = ["repair", "complaint", "inquiry"]
    tiers = ["basic", "gold", "diamond", "silver"]
    for i in range(n):
        ticket = open_ticket(kind=kinds[i % 3], tier=tiers[i % 4], now=at(2026, 11, 23, 9, i % 60), team=team,
                             assignee=personas.agent if i % 2 else personas.agent2)
        if i % 3 == 0:
            ticket_reply(ticket=ticket, author=personas.agent, body="On it", public=True, now=at(2026, 11, 23, 10))
        if i % 4 == 1:
            ticket_transition(ticket=ticket, to_status="resolved", actor=personas.agent, now=at(2026, 11, 24, 20)) \
                if ticket.kind != "complaint" else None
    sla_sweep(now=NOW)


def ticket_id():
    return SLAClock.objects.values_list("ticket_id", flat=True).first()


VIEWS = [
    ("sla:dashboard", {}, ["supervisor", "manager"]),
    ("sla:clock_list", {}, ["supervisor", "manager"]),
    ("sla:policies", {}, ["manager"]),
    ("sla:policy_add", {}, ["manager"]),
    ("sla:calendars", {}, ["manager"]),
]


@pytest.mark.parametrize("name,kwargs,allowed", VIEWS)
def test_access_per_role(client_for, name, kwargs, allowed):
    for role in ["frontdesk", "agent", "supervisor", "technician", "manager", None]:
        response = client_for(role).get(reverse(name, kwargs=kwargs))
        if role is None:
            assert response.status_code == 302 and "/login/" in response["Location"]
        elif role in allowed:
            assert response.status_code == 200, role
        else:
            assert response.status_code == 403, role


def test_ticket_panel_access(client_for, open_ticket):
    ticket = open_ticket(now=at(2026, 11, 23, 9))
    for role, status in [("frontdesk", 200), ("agent", 200), ("supervisor", 200), ("manager", 200),
                         ("technician", 403), (None, 302)]:
        assert client_for(role).get(reverse("sla:clocks", args=[ticket.pk])).status_code == status, role


def test_calendar_and_policy_pages_are_manager_only(client_for, default_calendar, personas):
    policy = SLAPolicy.objects.first()
    for role, status in (("supervisor", 403), ("manager", 200)):
        c = client_for(role)
        assert c.get(reverse("sla:calendar", args=[default_calendar.pk])).status_code == status
        assert c.get(reverse("sla:policy", args=[policy.pk])).status_code == status
        assert c.post(reverse("sla:calendar_day_add", args=[default_calendar.pk]), {}).status_code in (status, 302)


@pytest.mark.parametrize("n", [1, 24])
def test_dashboard_query_count_is_fixed(client_for, open_ticket, personas, team, n, django_assert_max_num_queries):
    _fill(open_ticket, personas, team, n)
    client = client_for("supervisor")
    with time_machine.travel(NOW, tick=False):
        # 17: the followups overdue-callbacks panel adds one COUNT; compliance, trend and breaches share
        # one read of the running clocks past their deadline not yet swept (sla.selectors.UnsweptMissed)
        with django_assert_max_num_queries(17):
            response = client.get(reverse("sla:dashboard"), {"start": "2026-11-01", "end": "2026-11-30"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "SR-2026-000001" in body or "IQ-2026-000001" in body or n == 1


def test_dashboard_figures(client_for, open_ticket, personas, team):
    # given 3 repairs: one answered in time, two breached on first response (one resolved late)
    a = open_ticket(now=at(2026, 11, 23, 9), team=team, assignee=personas.agent)
    b = open_ticket(now=at(2026, 11, 23, 9), team=team, assignee=personas.agent)
    open_ticket(now=at(2026, 11, 23, 9), team=team, assignee=personas.agent2)
    ticket_reply(ticket=a, author=personas.agent, body="Hi", public=True, now=at(2026, 11, 23, 11))
    with time_machine.travel(at(2026, 11, 24, 9, 30), tick=False):
        sla_sweep()
    ticket_reply(ticket=b, author=personas.agent, body="Sorry", public=True, now=at(2026, 11, 24, 12))
    client = client_for("supervisor")
    with time_machine.travel(at(2026, 11, 24, 12, 30), tick=False):
        response = client.get(reverse("sla:dashboard"))
    ctx = response.context
    fr = ctx["targets"][0]
    assert fr["key"] == "first_response"
    assert (fr["all"]["met"], fr["all"]["total"]) == (1, 3)  # a met; b late; c breached and still open
    assert fr["median"] is not None and fr["p90"] is not None
    assert ctx["breaches"] == {"today": 2, "week": 2}  # b and c breached first response at 09:00
    assert ctx["at_risk_total"] >= 1
    by_agent = {row["label"]: row["cells"][0] for row in next(d for d in ctx["breakdown"] if d["key"] == "agent")["rows"]}
    assert by_agent[personas.agent.get_full_name()]["met"] == 1
    # every figure links to the tickets behind it, and that list agrees with the figure
    listing = client.get(reverse("sla:clock_list") + "?" + fr["missed_query"])
    assert listing.status_code == 200 and len(listing.context["rows"]) == 2


def test_clock_list_query_count_is_fixed(client_for, open_ticket, personas, team, django_assert_max_num_queries):
    _fill(open_ticket, personas, team, 12)
    open_ticket(now=at(2026, 11, 23, 9))  # unassigned, no team
    sla_sweep(now=NOW)
    client = client_for("manager")
    for params in ({"at_risk": 1}, {"breached": "week"}, {"target": "first_response", "met": "no"}):
        with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(9):
            assert client.get(reverse("sla:clock_list"), params).status_code == 200


@pytest.mark.parametrize("n", [1, 5])
def test_ticket_panel_query_count_is_fixed(client_for, open_ticket, n, django_assert_max_num_queries):
    tickets = [open_ticket(kind="complaint", now=at(2026, 11, 23, 9)) for _ in range(n)]
    sla_sweep(now=at(2026, 11, 30))
    client = client_for("agent")
    # session, user, permissions, ticket, clocks, escalations
    with time_machine.travel(at(2026, 11, 30), tick=False), django_assert_max_num_queries(6):
        response = client.get(reverse("sla:clocks", args=[tickets[-1].pk]))
    body = response.content.decode()
    assert "Complaint investigation" in body and "Overdue" in body and "Breach (level 1)" in body


def test_manager_reapplies_from_the_panel(client_for, open_ticket):
    ticket = open_ticket(now=at(2026, 11, 23, 9))
    client = client_for("manager")
    assert "Re-apply policy" in client.get(reverse("sla:clocks", args=[ticket.pk])).content.decode()
    response = client.post(reverse("sla:reapply", args=[ticket.pk]), {"reason": "Tier corrected"})
    assert response.status_code == 302
    assert ticket.events.filter(kind="sla_reapplied").exists()
    assert client_for("supervisor").post(reverse("sla:reapply", args=[ticket.pk]), {"reason": "x"}).status_code == 403


def test_manager_adds_a_makeup_day_and_bad_input_is_refused(client_for, default_calendar):
    client = client_for("manager")
    url = reverse("sla:calendar_day_add", args=[default_calendar.pk])
    client.post(url, {"day-date": "2027-01-09", "day-kind": "workday", "day-name": "调休 <b>x</b>"})
    assert CalendarDay.objects.get(calendar=default_calendar, date=date(2027, 1, 9)).kind == "workday"
    page = client.get(reverse("sla:calendar", args=[default_calendar.pk]), {"year": "2027"}).content.decode()
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    response = client.post(url, {"day-date": "not a date", "day-kind": "workday"}, follow=True)
    assert response.status_code == 200 and "valid date" in response.content.decode()


def test_manager_edits_a_policy_with_crispy_form(client_for):
    policy = SLAPolicy.objects.get(name="Repair")
    client = client_for("manager")
    page = client.get(reverse("sla:policy", args=[policy.pk]))
    formset = page.context["formset"]
    data = {"name": "Repair", "is_active": "on", "order": 100, "kind": "repair", "priority": "", "tier": "", "channel": "",
            "calendar": "", "description": "", "targets-TOTAL_FORMS": formset.initial_form_count(), "targets-INITIAL_FORMS": formset.initial_form_count(),
            "targets-MIN_NUM_FORMS": 0, "targets-MAX_NUM_FORMS": 4}
    for i, f in enumerate(formset.forms):
        inst = f.instance
        if inst.pk:
            data.update({f"targets-{i}-id": inst.pk, f"targets-{i}-policy": policy.pk, f"targets-{i}-target": inst.target,
                         f"targets-{i}-hours": "6" if inst.target == "first_response" else inst.hours,
                         f"targets-{i}-clock": inst.clock, f"targets-{i}-warning_percent": 75,
                         f"targets-{i}-level2_multiplier": "2"})
    response = client.post(reverse("sla:policy", args=[policy.pk]), data)
    assert response.status_code == 302, response.context["formset"].errors if response.context else ""
    assert policy.targets.get(target="first_response").hours == 6
    # a negative duration is refused with a form error, not a 500
    data["targets-0-hours"] = "-1"
    bad = client.post(reverse("sla:policy", args=[policy.pk]), data)
    assert bad.status_code == 200 and bad.context["formset"].errors


def test_dashboard_figures_are_cached_for_a_minute(client_for, open_ticket, personas, team, settings,
                                                   django_assert_max_num_queries):
    from django.core.cache import cache

    settings.SLA_DASHBOARD_CACHE_SECONDS = 60
    # a private cache: the default file cache is shared with other test runs, which may clear it
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "sla-t"}}
    cache.clear()
    _fill(open_ticket, personas, team, 3)
    client = client_for("supervisor")
    params = {"start": "2026-11-01", "end": "2026-11-30"}
    with time_machine.travel(NOW, tick=False):
        first = client.get(reverse("sla:dashboard"), params).context["targets"][0]["all"]
        with django_assert_max_num_queries(14):  # compliance, percentiles and trend come from the cache (+1: callbacks panel, +1: breaches add unswept missed clocks)
            second = client.get(reverse("sla:dashboard"), params).context["targets"][0]["all"]
    assert first == second and first["total"] > 0
    cache.clear()


def test_median_and_p90_are_nearest_rank_over_decided_clocks(open_ticket, personas):
    from datetime import timedelta

    from sla.selectors import DashboardFilters, percentiles

    # given ten repairs answered after 1, 2, … 10 hours
    for k in range(1, 11):
        t = open_ticket(now=at(2026, 11, 23, 9))
        ticket_reply(ticket=t, author=personas.agent, body="Answer", public=True, now=at(2026, 11, 23, 9 + k))
    figures = percentiles(DashboardFilters(start=date(2026, 11, 1), end=date(2026, 11, 30)))
    # then median is the 5th value and p90 the 9th
    assert figures["first_response"] == {50: timedelta(hours=5), 90: timedelta(hours=9)}
    assert figures["resolution"] == {}  # none decided yet


def test_manager_adds_saturday_hours_and_deadlines_follow(client_for, default_calendar, open_ticket):
    from sla.models import BusinessHours

    client = client_for("manager")
    url = reverse("sla:calendar", args=[default_calendar.pk])
    page = client.get(url)
    assert page.status_code == 200
    formset = page.context["formset"]
    data = {"cal-name": default_calendar.name, "cal-time_zone": "Asia/Shanghai", "cal-is_default": "on",
            "hours-TOTAL_FORMS": formset.initial_form_count() + 1, "hours-INITIAL_FORMS": formset.initial_form_count(),
            "hours-MIN_NUM_FORMS": 0, "hours-MAX_NUM_FORMS": 7}
    for i, f in enumerate(formset.forms[: formset.initial_form_count()]):
        h = f.instance
        data.update({f"hours-{i}-id": h.pk, f"hours-{i}-calendar": default_calendar.pk, f"hours-{i}-weekday": h.weekday,
                     f"hours-{i}-start": "09:00", f"hours-{i}-end": "18:00", f"hours-{i}-lunch_start": "12:00",
                     f"hours-{i}-lunch_end": "13:00"})
    new = formset.initial_form_count()
    data.update({f"hours-{new}-weekday": 5, f"hours-{new}-start": "09:00", f"hours-{new}-end": "12:00"})
    # a lunch break outside the day is refused with a message, not a 500
    bad = dict(data, **{f"hours-{new}-lunch_start": "13:00", f"hours-{new}-lunch_end": "14:00"})
    response = client.post(url, bad)
    assert response.status_code == 200 and "lunch break must lie inside" in response.content.decode()
    assert client.post(url, data).status_code == 302
    assert BusinessHours.objects.filter(calendar=default_calendar, weekday=5).exists()
    ticket = open_ticket(now=at(2026, 11, 20, 17))  # Friday 17:00: 1 h Fri + 3 h Sat + 8 h Mon + 4 h Tue
    from sla.selectors import ticket_deadlines

    assert ticket_deadlines(ticket)["resolution"] == at(2026, 11, 24, 14)


def test_dashboard_shows_overdue_callbacks_for_the_chosen_team(client_for, open_ticket, personas, team):
    from followups.models import Callback

    other = Team.objects.create(name="Install", supervisor=personas.supervisor)
    for t, due in ((team, at(2026, 11, 24, 9)), (team, at(2026, 11, 24, 10)), (other, at(2026, 11, 24, 9)),
                   (team, at(2026, 11, 26, 9))):  # the last is not due yet
        ticket = open_ticket(now=at(2026, 11, 23, 9), team=t)
        Callback.objects.create(customer=ticket.customer, ticket=ticket, reason=Callback.Reason.choices[0][0],
                                due_at=due, created_at=at(2026, 11, 23, 9))
    client = client_for("supervisor")
    with time_machine.travel(NOW, tick=False):
        everyone = client.get(reverse("sla:dashboard"), {"start": "2026-11-01", "end": "2026-11-30"})
        repairs = client.get(reverse("sla:dashboard"), {"start": "2026-11-01", "end": "2026-11-30", "team": team.pk})

    def overdue(response):
        body = response.content.decode()
        panel = body[body.index('id="followups-overdue-panel"'):]
        return int(panel.split('fs-3 fw-semibold lh-1">', 1)[1].split("<", 1)[0])

    assert overdue(everyone) == 3 and overdue(repairs) == 2
