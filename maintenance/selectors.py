"""Reads for planned maintenance."""
from datetime import date, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from .models import MaintenancePlan, MaintenanceVisit


def plans_list(*, customer_id: int | None = None, account_manager_id: int | None = None,
               due_within: int | None = None, active: str = "yes", today: date) -> QuerySet:
    """Plans by next visit (paused plans, which have none, last). Rows load through plan_rows()."""
    qs = MaintenancePlan.objects.all()
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if account_manager_id:
        qs = qs.filter(customer__account_manager_id=account_manager_id)
    if due_within is not None:
        qs = qs.filter(next_due_on__lte=today + timedelta(days=due_within))
    if active == "yes":
        qs = qs.filter(active=True)
    elif active == "no":
        qs = qs.filter(active=False)
    return qs.order_by("next_due_on", "pk")


def plan_rows() -> QuerySet:
    return MaintenancePlan.objects.select_related("customer", "customer__account_manager", "skill")


def plan_visits(*, plan: MaintenancePlan) -> QuerySet:
    """A plan's visits, latest first, with their ticket and work order (status, technician)."""
    return (MaintenanceVisit.objects.filter(plan=plan).order_by("-due_on", "-pk")
            .select_related("ticket", "work_order", "work_order__technician__user"))


INSPECTIONS_SHOWN = 10


def inspection_plans(*, customer_id: int) -> tuple[list[MaintenancePlan], bool]:
    """A key account's inspection schedule (issue 17: the service plan's inspections are maintenance plans):
    its active plans by next visit, at most INSPECTIONS_SHOWN, and whether there are more. One query."""
    rows = list(plans_list(customer_id=customer_id, today=timezone.localdate())[:INSPECTIONS_SHOWN + 1])
    return rows[:INSPECTIONS_SHOWN], len(rows) > INSPECTIONS_SHOWN
