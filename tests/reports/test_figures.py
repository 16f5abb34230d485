"""Every figure of every section against values counted by hand from conftest.month_data."""
from datetime import date

import pytest
import time_machine

from reports import selectors
from reports.periods import Period, period_containing

from .conftest import L

NOV = period_containing("month", date(2026, 11, 17))
pytestmark = pytest.mark.django_db


def figs(section):
    return {k: v["value"] for k, v in section["figures"].items()}


def prevs(section):
    return {k: v["previous"] for k, v in section["figures"].items()}


def test_contacts(month_data):
    s = selectors.contacts_section(period=NOV)
    assert figs(s) == {"total": 4, "walk_ins": 1, "calls": 2, "inbound": 3, "outbound": 1}
    assert prevs(s) == {"total": 2, "walk_ins": 1, "calls": 1, "inbound": 2, "outbound": 0}
    assert s["figures"]["total"]["change"] == {"direction": "up", "pct": 100.0}
    assert s["figures"]["outbound"]["change"] == {"direction": "up", "pct": None}  # from nothing
    assert s["by_hour"] == [0] * 9 + [2] + [0] * 4 + [1] + [0] * 8 + [1]
    assert {r["channel"]: r["count"] for r in s["by_channel"]} == {"Phone": 2, "Walk-in": 1, "Email": 1}
    assert s["tables"]["contacts_by_channel"]["rows"][0] == ["Phone", 2]


def test_day_boundary_in_shanghai(month_data):
    # 23:59 local on 30 November is that day; 00:00 on 1 December is the next (UTC would differ by 8 h).
    assert figs(selectors.contacts_section(period=period_containing("day", date(2026, 11, 30))))["total"] == 1
    dec1 = selectors.contacts_section(period=period_containing("day", date(2026, 12, 1)))
    assert figs(dec1)["total"] == 1 and figs(dec1)["calls"] == 1
    assert dec1["figures"]["total"]["previous"] == 1  # the previous day is 30 November


def test_week_boundary_monday(month_data):
    # Week of Monday 30 Nov – Sunday 6 Dec holds both the 23:59 email and the 00:00 call …
    week = period_containing("week", date(2026, 12, 3))
    assert (week.first, week.last) == (date(2026, 11, 30), date(2026, 12, 6))
    assert figs(selectors.contacts_section(period=week))["total"] == 2
    # … and the week before (23–29 Nov) holds neither.
    assert figs(selectors.contacts_section(period=period_containing("week", date(2026, 11, 29))))["total"] == 0
    # Saturday 31 Oct 23:59 belongs to the week of Monday 26 Oct.
    assert figs(selectors.contacts_section(period=period_containing("week", date(2026, 10, 26))))["walk_ins"] == 1


def test_tickets(month_data):
    s = selectors.tickets_section(period=NOV)
    assert figs(s) == {"opened": 7, "resolved": 4, "closed": 2, "backlog": 3}
    # October: t6 and t9 opened; t9 resolved and closed; t6 still open at the end (resolved 1 Nov 00:00).
    assert prevs(s) == {"opened": 2, "resolved": 1, "closed": 1, "backlog": 1}
    assert s["figures"]["backlog"]["change"] == {"direction": "up", "pct": 200.0}
    assert s["tables"]["tickets_by_kind_priority"]["rows"] == [
        ["Complaint", "High", 1, 0, 0],
        ["Complaint", "Normal", 1, 0, 0],
        ["Inquiry", "Normal", 1, 1, 1],
        ["Inquiry", "Low", 1, 0, 0],
        ["Repair request", "Urgent", 1, 1, 1],
        ["Repair request", "Normal", 1, 2, 0],
        ["Suggestion", "Normal", 1, 0, 0],
    ]
    assert [(k["kind"], k["opened"], k["resolved"], k["closed"]) for k in s["by_kind"]] == [
        ("Inquiry", 2, 1, 1), ("Repair request", 2, 3, 1), ("Complaint", 2, 0, 0), ("Suggestion", 1, 0, 0)]


def test_team_filter(month_data):
    s = selectors.tickets_section(period=NOV, team=month_data.team)
    assert figs(s) == {"opened": 2, "resolved": 2, "closed": 1, "backlog": 0}


def test_sla_times_and_compliance(month_data):
    s = selectors.sla_section(period=NOV, now=L(12, 1, 12))
    # First responses in Nov: 1, 2, 4, 20 h → nearest rank median = 2nd = 2 h, p90 = 4th = 20 h.
    # Resolutions in Nov: 6, 24, 48, 279 h (t6: 20 Oct 09:00 → 1 Nov 00:00) → 24 h and 279 h.
    # Compliance: clocks DUE in November (deadline = opening + 24 h), met or missed; t5's first
    # response is still running past its deadline (21 Nov 09:00): missed, though it never stopped.
    assert figs(s) == {"first_response_median": 2.0, "first_response_p90": 20.0, "resolution_median": 24.0,
                       "resolution_p90": 279.0, "compliance": 62.5, "compliance_first_response": 60.0,
                       "compliance_resolution": 50.0}
    assert prevs(s) == {"first_response_median": 8.0, "first_response_p90": 8.0, "resolution_median": 96.0,
                        "resolution_p90": 96.0, "compliance": 100.0, "compliance_first_response": 100.0,
                        "compliance_resolution": None}
    assert s["figures"]["first_response_median"]["change"] == {"direction": "down", "pct": 75.0}
    # before t5's deadline it is not yet decided: not counted at all
    early = selectors.sla_section(period=NOV, now=L(11, 21, 8))
    assert early["figures"]["compliance"]["value"] == 71.4
    assert early["tables"]["sla_by_target"]["rows"][0] == ["First response", 3, 1, 75.0]
    assert s["tables"]["sla_by_target"]["rows"] == [
        ["First response", 3, 2, 60.0], ["Resolution", 1, 1, 50.0],
        ["Complaint investigation", 1, 0, 100.0], ["Solution to customer", 0, 0, None]]


@pytest.mark.parametrize("method", [None, "window", "fetch"])
def test_percentile_odd_count(month_data, method):
    from django.db.models import IntegerField

    from tickets.models import Ticket

    # Priorities 0,2,2,1,3 (+1 → 1,3,3,2,4 → sorted 1,2,3,3,4): median = 3rd = 3, p90 = ceil(4.5) = 5th = 4.
    qs = Ticket.objects.filter(number__in=["T-001", "T-002", "T-003", "T-004", "T-005"])
    out = selectors.percentiles(qs, selectors.F("priority") + 1, output_field=IntegerField(), method=method)
    assert out == {0.5: 3, 0.9: 4}
    assert selectors.percentiles(qs.none(), selectors.F("priority"), output_field=IntegerField(), method=method) == {}


def test_complaints(month_data):
    s = selectors.complaints_section(period=NOV)
    assert figs(s) == {"total": 2, "investigation_hours": 4.0, "solution_hours": 48.0}
    assert prevs(s) == {"total": 0, "investigation_hours": None, "solution_hours": None}
    assert s["figures"]["total"]["change"] == {"direction": "up", "pct": None}
    assert s["tables"]["complaints_by_category"]["rows"] == [["Service attitude", 1], ["Quality", 1]]
    assert sorted(s["tables"]["complaints_by_department"]["rows"], key=lambda r: r[0]) == [
        ["Not yet assigned", 1, 2.0, None], ["Quality dept", 1, 6.0, 48.0]]


def test_callbacks(month_data):
    with time_machine.travel(L(11, 25, 12), tick=False):
        s = selectors.callbacks_section(period=NOV)
    assert figs(s) == {"due": 5, "done_on_time": 1, "done_late": 1, "overdue": 1, "unreachable": 1,
                       "on_time_rate": 20.0}
    assert prevs(s) == {"due": 1, "done_on_time": 1, "done_late": 0, "overdue": 0, "unreachable": 0,
                        "on_time_rate": 100.0}
    assert s["tables"]["callbacks_by_reason"]["rows"] == [
        ["After a repair", 2, 1, 1, 0, 0], ["Scheduled by hand", 3, 0, 0, 1, 1]]


def test_callbacks_overdue_after_month_end(month_data):
    # Seen in December, the 28 Nov callback still pending is overdue too.
    with time_machine.travel(L(12, 3, 12), tick=False):
        assert figs(selectors.callbacks_section(period=NOV))["overdue"] == 2


def test_surveys(month_data):
    s = selectors.surveys_section(period=NOV)
    assert figs(s) == {
        "answers": 4, "csat": 50.0, "nps": 25.0, "avg_overall": 3.5, "avg_reliability": 3.5,
        "avg_responsiveness": 3.0, "avg_assurance": 3.75, "avg_empathy": 3.25, "avg_tangibles": 3.5,
        "avg_recommend": 7.5,
    }
    assert prevs(s)["csat"] == 100.0 and prevs(s)["nps"] == 100.0 and prevs(s)["answers"] == 1
    assert s["figures"]["csat"]["change"] == {"direction": "down", "pct": 50.0}
    assert s["tables"]["surveys_by_kind"]["rows"] == [["Inquiry", 2, 0.0, 2.5], ["Repair request", 2, 100.0, 4.5]]


def test_technicians(month_data):
    s = selectors.technicians_section(period=NOV)
    # w1 (A1) is revisited by w3 within 30 days; w2 and w3 are not; w4 has no asset (not judged).
    assert figs(s) == {"jobs": 4, "first_time_fix": 66.7, "onsite_hours": 2.0, "parts": 6}
    # October: w6 on A2, revisited by w2 (created 4 Nov) → 0 % first-time fix.
    assert prevs(s) == {"jobs": 1, "first_time_fix": 0.0, "onsite_hours": 3.0, "parts": 1}
    assert s["tables"]["technicians"]["rows"] == [
        ["Technician", 2, 50.0, 1.5, 3], ["Technician2", 2, 100.0, 2.5, 3]]
    assert s["tables"]["parts_used"]["rows"] == [["P-1", "Pump", 5], ["P-2", "Sensor", 1]]


def test_faults_and_drilldown(month_data, client_for):
    s = selectors.faults_section(period=NOV)
    assert s["tables"]["recurring_faults"]["rows"] == [
        ["Boiler", "B-100", "Pump failure", 2, 1], ["Boiler", "B-200", "Sensor", 1, 0]]
    assert figs(s) == {"top_total": 3} and prevs(s) == {"top_total": 1}
    assert s["faults"][0]["change"] == {"direction": "up", "pct": 100.0}
    tickets = selectors.fault_tickets(period=NOV, cause_id=month_data.pump.pk, product="Boiler", model="B-100")
    assert [t.number for t in tickets] == ["T-002", "T-001"]
    r = client_for("supervisor").get("/reports/faults/", {"period": "month", "date": "2026-11-01",
                                                           "cause": month_data.pump.pk, "product": "Boiler",
                                                           "model": "B-100"})
    assert r.status_code == 200
    assert b"T-001" in r.content and b"T-002" in r.content and b"T-009" not in r.content


def test_empty_period_shows_dashes(month_data, client_for):
    empty = Period("custom", date(2025, 1, 1), date(2025, 1, 31))
    data = selectors.report(period=empty)
    assert figs(data["sla"])["first_response_median"] is None
    assert figs(data["surveys"])["csat"] is None and figs(data["surveys"])["nps"] is None
    assert figs(data["technicians"])["first_time_fix"] is None
    assert figs(data["callbacks"])["on_time_rate"] is None
    r = client_for("manager").get("/reports/", {"period": "custom", "date": "2025-01-01", "end": "2025-01-31"})
    assert r.status_code == 200
    assert "—" in r.content.decode()


def test_previous_period_figures_equal_that_period_reported_itself(month_data):
    # Tickets, complaints, SLA compliance and parts count both periods in one query: last period's figures (as the
    # "previous" of December) must be exactly November's own, table by table and total by total.
    dec = NOV.next()
    for fn in (selectors.tickets_section, selectors.complaints_section, selectors.sla_section,
               selectors.technicians_section):
        assert prevs(fn(period=dec)) == figs(fn(period=NOV))
    assert selectors.sla_section(period=dec)["tables"]["sla_by_target"]["rows"] == [
        ["First response", 0, 0, None], ["Resolution", 0, 0, None],
        ["Complaint investigation", 0, 0, None], ["Solution to customer", 0, 0, None]]
