"""The dashboard's daily rollup equals the figures computed directly from the clocks — after pauses,
reopen, breaches by the sweep, cancellation and across local midnight — and a rebuild gives the
same rows as the incremental upkeep. Reads are a fixed number of queries; concurrent decisions on
PostgreSQL lose no count."""
import threading
from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from servicedesk.models import Team
from sla import rollup
from sla.models import SLAClock, SLADailyCompliance, SLADailyComplianceDim, SLADailyDuration
from sla.selectors import REPORTED_TARGETS, DashboardFilters, clocks_due, compliance, percentiles, trend
from sla.services import sla_sweep
from tests.sla.slatime import at
from tickets.services import ticket_reply, ticket_transition


def _direct(filters: DashboardFilters) -> dict:
    """The figures straight from the clocks (what the dashboard showed before the rollup)."""
    days = 30
    first = filters.end - timedelta(days=days - 1)
    return {**_direct_range(filters), "series": _direct_range(
        DashboardFilters(start=first, end=filters.end, team_id=filters.team_id))["series"]}


def _direct_range(filters: DashboardFilters) -> dict:
    # The definition, written out on the clocks: due (deadline) in the range, and met, or missed —
    # stopped late, marked at breach, or still running past the deadline.
    start, end = filters.range()
    now = timezone.now()
    qs = SLAClock.objects.filter(target__in=REPORTED_TARGETS, deadline__gte=start, deadline__lt=end).filter(
        Q(met__isnull=False) | Q(stopped_at__isnull=True, paused_at__isnull=True, deadline__lte=now)
    ).select_related("ticket__customer")
    if filters.team_id:
        qs = qs.filter(ticket__team_id=filters.team_id)
    comp = {t: {"all": [0, 0], "kind": {}, "tier": {}, "channel": {}, "team": {}, "agent": {}} for t in REPORTED_TARGETS}
    elapsed = {t: [] for t in REPORTED_TARGETS}
    days = 30
    first = filters.end - timedelta(days=days - 1)
    per_day = {t: {} for t in REPORTED_TARGETS}
    for c in qs:
        t = c.ticket
        out = comp[c.target]
        for cell in (out["all"],
                     out["kind"].setdefault(t.kind, [0, 0]), out["tier"].setdefault(t.customer.tier, [0, 0]),
                     out["channel"].setdefault(t.channel, [0, 0]), out["team"].setdefault(t.team_id, [0, 0]),
                     out["agent"].setdefault(t.assignee_id, [0, 0])):
            cell[0] += 1 if c.met else 0
            cell[1] += 1
        if c.elapsed is not None and c.met is not None:
            elapsed[c.target].append(c.elapsed)
        day = timezone.localtime(c.deadline).date()
        if first <= day <= filters.end:
            cell = per_day[c.target].setdefault(day, [0, 0])
            cell[0] += 1 if c.met else 0
            cell[1] += 1
    pct = {}
    for target, values in elapsed.items():
        values.sort()
        pct[target] = {p: values[(len(values) * p + 99) // 100 - 1] for p in (50, 90)} if values else {}
    series = {t: [None] * days for t in REPORTED_TARGETS}
    for target, cells in per_day.items():
        for day, (met, total) in cells.items():
            series[target][(day - first).days] = round(100 * met / total, 1)
    return {"compliance": comp, "percentiles": pct, "series": series}


def _assert_rollup_matches(filters: DashboardFilters):
    direct = _direct(filters)
    assert compliance(filters) == direct["compliance"]
    assert trend(filters)["series"] == direct["series"]
    got = percentiles(filters)
    for target in REPORTED_TARGETS:
        assert set(got[target]) == set(direct["percentiles"][target])
        for p, exact in direct["percentiles"][target].items():
            # the mean of the bucket holding the rank: same bucket, within its 5 % width
            assert rollup.bucket_of(got[target][p]) == rollup.bucket_of(exact)
            assert abs(got[target][p] - exact) <= exact * 0.06


def _rows():
    comp = {(r.day, r.target, r.kind, r.tier, r.channel, r.team, r.agent): (r.decided, r.met)
            for r in SLADailyCompliance.objects.all() if r.decided}
    dur = {(r.day, r.target, r.team, r.bucket): (r.n, r.seconds) for r in SLADailyDuration.objects.all() if r.n}
    dims = {(r.day, r.target, r.team, r.dim, r.value): (r.decided, r.met)
            for r in SLADailyComplianceDim.objects.all() if r.decided}
    # the per-dimension rows are the fine rows summed
    summed = {}
    for (day, target, kind, tier, channel, team, agent), (n, m) in comp.items():
        for dim, value in (("kind", kind), ("tier", tier), ("channel", channel), ("agent", str(agent))):
            cell = summed.setdefault((day, target, team, dim, value), [0, 0])
            cell[0] += n
            cell[1] += m
    assert dims == {k: tuple(v) for k, v in summed.items()}
    return comp, dur, dims


@pytest.mark.django_db
def test_rollup_equals_direct_figures_through_pause_reopen_breach_cancel_and_midnight(open_ticket, personas):
    team = Team.objects.create(name="Repairs", supervisor=personas.supervisor)
    other = Team.objects.create(name="Install", supervisor=personas.supervisor)
    month = DashboardFilters(start=date(2026, 11, 1), end=date(2026, 11, 30))
    # answered in time and resolved
    a = open_ticket(now=at(2026, 11, 23, 9), team=team, assignee=personas.agent, tier="gold")
    ticket_reply(ticket=a, author=personas.agent, body="On it", public=True, now=at(2026, 11, 23, 10))
    ticket_transition(ticket=a, to_status="resolved", actor=personas.agent, now=at(2026, 11, 24, 12))
    # paused waiting on the customer, then resolved: the pause does not count in the time taken
    b = open_ticket(now=at(2026, 11, 23, 9), team=team, assignee=personas.agent2, channel="email")
    ticket_transition(ticket=b, to_status="waiting", actor=personas.agent2, now=at(2026, 11, 23, 10))
    ticket_transition(ticket=b, to_status="in_progress", actor=personas.agent2, now=at(2026, 11, 23, 14))
    ticket_transition(ticket=b, to_status="resolved", actor=personas.agent2, now=at(2026, 11, 23, 16))
    _assert_rollup_matches(month)
    # resolved, reopened (resolution undecided again), resolved again later
    c = open_ticket(now=at(2026, 11, 23, 9), team=other, assignee=personas.agent, kind="inquiry")
    ticket_transition(ticket=c, to_status="resolved", actor=personas.agent, now=at(2026, 11, 23, 11))
    _assert_rollup_matches(month)
    ticket_transition(ticket=c, to_status="reopened", actor=personas.agent, now=at(2026, 11, 25, 9))
    assert SLAClock.objects.get(ticket=c, target="resolution").met is None
    _assert_rollup_matches(month)
    ticket_transition(ticket=c, to_status="resolved", actor=personas.agent, now=at(2026, 11, 26, 10))
    _assert_rollup_matches(month)
    # never answered: the sweep decides the breach (met = False, no time taken yet)
    d = open_ticket(now=at(2026, 11, 23, 9), team=team, assignee=personas.agent)
    sla_sweep(now=at(2026, 11, 24, 9, 30))
    assert SLAClock.objects.get(ticket=d, target="first_response").met is False
    _assert_rollup_matches(month)
    # cancelled: undecided, not counted
    e = open_ticket(now=at(2026, 11, 23, 9), team=team)
    ticket_transition(ticket=e, to_status="cancelled", actor=personas.agent, reason="Duplicate", now=at(2026, 11, 23, 10))
    # one second either side of local midnight: two different days
    late = open_ticket(now=at(2026, 11, 23, 23, 59, 59), team=team, assignee=personas.agent)
    early = open_ticket(now=at(2026, 11, 24, 0, 0, 1), team=team, assignee=personas.agent)
    for t in (late, early):
        ticket_reply(ticket=t, author=personas.agent, body="On it", public=True, now=at(2026, 11, 24, 8))
    for filters in (month, DashboardFilters(start=date(2026, 11, 23), end=date(2026, 11, 23)),
                    DashboardFilters(start=date(2026, 11, 24), end=date(2026, 11, 24)),
                    DashboardFilters(start=date(2026, 11, 1), end=date(2026, 11, 30), team_id=team.pk),
                    DashboardFilters(start=date(2026, 11, 1), end=date(2026, 11, 30), team_id=other.pk)):
        _assert_rollup_matches(filters)
    # counted on the day the clock is DUE (24 h first response): 23:59:59 + 24 h is still the 24th
    day24 = compliance(DashboardFilters(start=date(2026, 11, 24), end=date(2026, 11, 24)))
    day25 = compliance(DashboardFilters(start=date(2026, 11, 25), end=date(2026, 11, 25)))
    assert day25["first_response"]["all"] == [1, 1]  # only the ticket opened after midnight
    due24 = set(clocks_due(start=date(2026, 11, 24), end=date(2026, 11, 24), now=timezone.now(),
                           targets=["first_response"]).values_list("ticket_id", flat=True))
    assert late.pk in due24 and d.pk in due24 and early.pk not in due24 and e.pk not in due24
    assert day24["first_response"]["all"][1] == len(due24)
    # a rebuild from the clocks gives exactly the rows the incremental upkeep wrote
    kept = _rows()
    assert kept[0] and kept[1] and kept[2]
    rollup.rebuild()
    assert _rows() == kept


@pytest.mark.django_db
def test_dashboard_figures_are_five_queries_whatever_the_volume(open_ticket, personas, django_assert_num_queries):
    month = DashboardFilters(start=date(2026, 11, 1), end=date(2026, 11, 30))
    t = open_ticket(now=at(2026, 11, 23, 9), assignee=personas.agent)
    ticket_reply(ticket=t, author=personas.agent, body="On it", public=True, now=at(2026, 11, 23, 10))
    # compliance and trend: the rollup + the running clocks past their deadline not yet swept; percentiles: 1
    with django_assert_num_queries(5):
        one = (compliance(month), percentiles(month), trend(month))
    for i in range(12):
        t = open_ticket(now=at(2026, 11, 1 + i, 9), assignee=personas.agent2 if i % 2 else personas.agent,
                        tier=["basic", "gold", "silver"][i % 3])
        ticket_reply(ticket=t, author=personas.agent, body="On it", public=True, now=at(2026, 11, 1 + i, 9 + i))
    with django_assert_num_queries(5):
        many = (compliance(month), percentiles(month), trend(month))
    assert one[0]["first_response"]["all"] == [1, 1] and many[0]["first_response"]["all"][1] == 13


@pytest.mark.django_db
def test_deciding_a_clock_writes_the_rollup_in_a_fixed_number_of_queries(open_ticket, personas,
                                                                          django_assert_max_num_queries):
    t = open_ticket(now=at(2026, 11, 23, 9), assignee=personas.agent)
    from sla.services import clocks_stop

    with django_assert_max_num_queries(9):  # lock + calendar + update + ticket dims + 2 upserts + ticket due
        clocks_stop(ticket=t, now=at(2026, 11, 23, 10))
    assert sum(SLADailyCompliance.objects.values_list("decided", flat=True)) == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_decisions_lose_no_count(open_ticket, personas):
    from tickets.models import Ticket

    team = Team.objects.create(name="Repairs", supervisor=personas.supervisor)
    # same day, same segment: every decision lands on the same rollup rows
    ids = [open_ticket(now=at(2026, 11, 23, 9), team=team, assignee=personas.agent).pk for _ in range(16)]
    barrier = threading.Barrier(4)
    errors = []

    def worker(chunk):
        try:
            barrier.wait()
            for pk in chunk:
                ticket_reply(ticket=Ticket.objects.get(pk=pk), author=personas.agent, body="On it", public=True,
                             now=at(2026, 11, 23, 10))
                ticket_transition(ticket=Ticket.objects.get(pk=pk), to_status="resolved", actor=personas.agent,
                                  now=at(2026, 11, 23, 12))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(ids[i::4],)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert errors == []
    month = DashboardFilters(start=date(2026, 11, 1), end=date(2026, 11, 30))
    figures = compliance(month)
    assert figures["first_response"]["all"] == [16, 16] and figures["resolution"]["all"] == [16, 16]
    assert SLADailyCompliance.objects.filter(target="first_response", decided__gt=0).count() == 1
    assert sum(SLADailyDuration.objects.filter(target="resolution").values_list("n", flat=True)) == 16
    _assert_rollup_matches(month)
