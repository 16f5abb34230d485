"""Reads for service levels: calendars, a ticket's deadlines and clocks, the supervisor dashboard."""
from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from servicedesk.businesstime import WorkingCalendar

from .calendars import cached_working_calendar, default_calendar
from .models import SLAClock, SLAEscalation, Target


def working_calendar(*, now: datetime | None = None) -> WorkingCalendar:
    """The department's default business calendar as a pure WorkingCalendar.

    Cached per process and rebuilt when the calendar (its hours or days) changes: one query to check
    the calendar's revision token. `now` is accepted for symmetry with the services (the calendar
    holds every year entered, so it does not depend on it).
    """
    return cached_working_calendar(default_calendar())


def ticket_deadlines(ticket) -> dict[str, datetime]:
    """{target: deadline} for the ticket's clocks, e.g. {"first_response": …, "resolution": …}.

    Uses `ticket.sla_clocks` when prefetched (0 queries), else one query. Targets the ticket does not
    have are absent. Deadlines are aware datetimes; while a clock is paused its deadline will move
    by the paused time when it resumes.
    """
    cache = getattr(ticket, "_prefetched_objects_cache", {})
    if "sla_clocks" in cache:
        clocks = cache["sla_clocks"]
    else:
        clocks = SLAClock.objects.filter(ticket_id=ticket.pk).only("target", "deadline", "ticket_id")
    order = list(Target.values)
    return {c.target: c.deadline for c in sorted(clocks, key=lambda c: order.index(c.target))}


def ticket_url(ticket) -> str:
    """Link to the ticket page (the tickets area names it tickets:detail)."""
    for name, args in (("tickets:detail", [ticket.pk]), ("tickets:detail", [ticket.number])):
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    try:
        return reverse("sla:clocks", args=[ticket.pk])
    except NoReverseMatch:
        return ""


def ticket_clocks(ticket) -> list[SLAClock]:
    """The ticket's clocks with their escalation history (2 queries whatever their number)."""
    return list(
        SLAClock.objects.filter(ticket_id=ticket.pk)
        .select_related("policy")
        .prefetch_related(Prefetch("escalations", queryset=SLAEscalation.objects.order_by("scheduled_for", "id")))
        .order_by("id")
    )


def clock_state(clock: SLAClock, now: datetime | None = None) -> dict:
    """What the panel shows for one clock: state, time left or overdue by (pure, no queries)."""
    now = now or timezone.now()
    if clock.stopped_at is not None:
        state = "met" if clock.met else ("missed" if clock.met is False else "stopped")
        return {"state": state, "left": None, "overdue": None}
    if clock.paused_at is not None:
        return {"state": "paused", "left": max(clock.deadline - clock.paused_at, clock.deadline - clock.deadline),
                "overdue": None}
    delta = clock.deadline - now
    if delta.total_seconds() < 0:
        return {"state": "breached", "left": None, "overdue": -delta}
    warn = clock.warning_at is not None and clock.warning_at <= now
    return {"state": "at_risk" if warn else "running", "left": delta, "overdue": None}
