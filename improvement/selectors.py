"""Reads of the PDCA register; each a fixed number of queries whatever the data size."""
from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Prefetch, QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .models import UNFINISHED, ActionCarryOver, ActionEvent, ImprovementAction


def register(*, month: date | None = None, status: str = "", owner_id: int | None = None, overdue: bool = False,
             today: date | None = None) -> QuerySet:
    qs = ImprovementAction.objects.all()
    if month is not None:
        qs = qs.filter(month=month.replace(day=1))
    if status == "open":
        qs = qs.filter(status__in=UNFINISHED)
    elif status:
        qs = qs.filter(status=status)
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    if overdue and today is not None:
        qs = qs.filter(status__in=UNFINISHED, due_date__lt=today)
    return qs.order_by("-month", "-id")


def carry_over_pending(*, month: date) -> bool:
    """Whether the month-end carry-over has still to run: an unfinished action left in a month before `month`
    (the sweep's own probe, on the partial index of unfinished actions' month). The report e-mail waits for it."""
    return ImprovementAction.objects.filter(status__in=UNFINISHED, month__lt=month).exists()


def register_rows() -> QuerySet:
    return ImprovementAction.objects.select_related("owner", "fault_cause")


def action_detail(pk: int) -> ImprovementAction:
    return (ImprovementAction.objects.select_related("owner", "created_by", "fault_cause")
            .prefetch_related("complaints", "survey_responses", "findings__item",
                              Prefetch("events", queryset=ActionEvent.objects.select_related("actor")),
                              "carry_overs")
            .get(pk=pk))


def period_summary(*, start, end, first: date, last: date, limit: int = 50) -> dict:
    """For the monthly report: actions opened, finished (done) in the period, and carried over at a month
    end inside it (the carry into month M happens at M's first moment: first < M <= the day after last). Three queries; lists show at most `limit` rows each and say
    when there are more (never cut silently)."""
    new = list(ImprovementAction.objects.filter(created_at__gte=start, created_at__lt=end)
               .select_related("owner").order_by("id")[:limit + 1])
    done = list(ImprovementAction.objects.filter(status=ImprovementAction.Status.DONE, done_at__gte=start,
                                                 done_at__lt=end).select_related("owner").order_by("id")[:limit + 1])
    # An action carried at two month ends of a quarter is one unfinished action, counted and listed once.
    carried_ids = (ActionCarryOver.objects.filter(to_month__gt=first, to_month__lte=last + timedelta(days=1))
                   .values("action_id"))
    carried = list(ImprovementAction.objects.filter(pk__in=carried_ids).select_related("owner")
                   .order_by("id")[:limit + 1])
    def n(rows):
        return f"{limit}+" if len(rows) > limit else len(rows)

    return {"limit": limit, "figures": {},
            "counts": format_lazy(_("Improvement actions: {new} new, {done} done, {carried} carried over to the next "
                                    "month."), new=n(new), done=n(done), carried=n(carried)),
            "lists": [(_("New"), new[:limit], len(new) > limit), (_("Done"), done[:limit], len(done) > limit),
                      (_("Carried over to the next month"), carried[:limit],
                       len(carried) > limit)]}
