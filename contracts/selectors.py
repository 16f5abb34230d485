"""Reads for contracts, renewals and care dates. Every list has its joins here, so pages keep a fixed
number of queries whatever the number of rows."""
from __future__ import annotations

import calendar
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import (Case, DateField, ExpressionWrapper, IntegerField, OuterRef, Prefetch, Q, QuerySet,
                              Subquery, Value, When)

from customers.models import Asset, Customer

from .models import Reminder, ReminderRule, ServiceContract

RENEWALS_DAYS = 90
CARE_DAYS_AHEAD = 7
NO_MANAGER = "none"


def expiring_days() -> int:
    """A contract is "expiring" this many days before its end (setting CONTRACTS_EXPIRING_DAYS, default 60:
    the first default reminder)."""
    return int(getattr(settings, "CONTRACTS_EXPIRING_DAYS", 60))


def contracts_filtered(*, today: date, customer_id: int | None = None, manager=None, level_id: int | None = None,
                       ending_within: int | None = None, status: str = "") -> QuerySet:
    """The contract list with its filters. ``manager``: a user, or NO_MANAGER for customers without one."""
    qs = ServiceContract.objects.all()
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if manager == NO_MANAGER:
        qs = qs.filter(customer__account_manager__isnull=True)
    elif manager is not None:
        qs = qs.filter(customer__account_manager=manager)
    if level_id:
        qs = qs.filter(level_id=level_id)
    if ending_within is not None:
        qs = qs.filter(end_date__gte=today, end_date__lte=today + timedelta(days=ending_within))
    soon = today + timedelta(days=expiring_days())
    if status == "expired":
        qs = qs.filter(end_date__lt=today)
    elif status == "expiring":
        qs = qs.filter(end_date__gte=today, end_date__lte=soon)
    elif status == "active":
        qs = qs.filter(end_date__gt=soon)
    return qs.order_by("end_date", "pk")


def contract_rows() -> QuerySet:
    """What a displayed contract row needs (slice_page's second query)."""
    return ServiceContract.objects.select_related("customer", "customer__account_manager", "level")


def contract_detail(pk: int) -> ServiceContract:
    return (ServiceContract.objects.select_related("customer", "customer__account_manager", "level", "created_by")
            .prefetch_related(Prefetch("assets", queryset=Asset.objects.order_by("product", "pk")),
                              Prefetch("reminders", queryset=Reminder.objects.select_related(
                                  "rule", "assignee", "done_by").order_by("-created_at", "-pk")))
            .get(pk=pk))


def renewal_staff_ids() -> set[int]:
    """Active people who may open "My renewals" (and so can receive and finish a renewal task): by group
    or by a permission given to them personally, plus superusers. Two queries."""
    User = get_user_model()
    perm = Permission.objects.filter(content_type__app_label="contracts", codename="view_renewals").first()
    q = Q(is_superuser=True)
    if perm is not None:
        q |= Q(groups__permissions=perm) | Q(user_permissions=perm)
    return set(User.objects.filter(q, is_active=True).values_list("pk", flat=True))


def fallback_recipients() -> list:
    """Who hears about a customer with no account manager (or one who cannot open renewals): every active
    supervisor — customers belong to no team, so no narrower supervisor can be named."""
    from servicedesk import roles

    return list(get_user_model().objects.filter(groups__name=roles.SUPERVISOR, is_active=True).order_by("pk"))


def account_managers() -> QuerySet:
    """The people named account manager of at least one customer (the renewals page's choice)."""
    User = get_user_model()
    ids = Customer.objects.filter(account_manager__isnull=False).values("account_manager")
    return User.objects.filter(pk__in=ids).order_by("first_name", "last_name", "username")


def _manager_filter(manager, field: str) -> Q:
    if manager == NO_MANAGER:
        return Q(**{f"{field}__isnull": True})
    return Q(**{field: manager})


def renewal_contracts(*, manager, today: date, days: int) -> QuerySet:
    """Contracts of the manager's customers ending in [today, today + days] (contract_end_idx); a renewed one
    carries ``renewed_by_id`` (shown as renewed: it gets no more reminders)."""
    return (ServiceContract.objects.filter(_manager_filter(manager, "customer__account_manager"),
                                           end_date__gte=today, end_date__lte=today + timedelta(days=days))
            .select_related("customer", "level").order_by("end_date", "pk"))


def covering_contracts(day_after) -> QuerySet:
    """Contract-asset rows (for the asset ``OuterRef("pk")``) whose contract is in force on ``day_after``, the
    day after a warranty ends: such a warranty is covered (renewal page: "covered by"; no reminder)."""
    return ServiceContract.assets.through.objects.filter(asset_id=OuterRef("pk"),
                                                         servicecontract__start_date__lte=day_after,
                                                         servicecontract__end_date__gte=day_after)


def renewal_warranties(*, manager, today: date, days: int) -> QuerySet:
    """Assets of the manager's customers whose warranty ends in [today, today + days] (asset_warranty_end_idx),
    each with ``covered_by``: the contract in force the day after the warranty ends that covers the asset
    (such a warranty needs no renewal and gets no reminder), else None."""
    day_after = ExpressionWrapper(OuterRef("warranty_end") + timedelta(days=1), output_field=DateField())
    covering = covering_contracts(day_after).order_by("servicecontract_id").values("servicecontract_id")[:1]
    return (Asset.objects.filter(_manager_filter(manager, "customer__account_manager"),
                                 warranty_end__gte=today, warranty_end__lte=today + timedelta(days=days),
                                 customer__merged_into__isnull=True)
            .annotate(covered_by=Subquery(covering))
            .select_related("customer").order_by("warranty_end", "pk"))


def open_tasks(*, manager) -> QuerySet:
    """The open renewal tasks of the account manager (NO_MANAGER: tasks nobody was named for), soonest
    end first (reminder_open_task_idx)."""
    return (Reminder.objects.filter(_manager_filter(manager, "assignee"), action=ReminderRule.Action.TASK,
                                    done_at__isnull=True)
            .select_related("customer", "contract", "contract__level", "asset", "rule").order_by("ends_on", "pk"))


# --- care dates -----------------------------------------------------------------------------------------
def care_days(today: date, ahead: int = CARE_DAYS_AHEAD) -> list[tuple[date, int, int]]:
    """(the day it is shown on, month, day) for today and the next ``ahead`` days. A Feb 29 care date is
    shown on Feb 28 in a year without Feb 29; the range wraps over the year end by dates, not numbers."""
    out = []
    for i in range(ahead + 1):
        d = today + timedelta(days=i)
        out.append((d, d.month, d.day))
        if d.month == 2 and d.day == 28 and not calendar.isleap(d.year):
            out.append((d, 2, 29))
    return out


def _care_q(days) -> Q:
    q = Q()
    for _shown, month, day in days:
        q |= Q(care_date__month=month, care_date__day=day)
    return q


CARE_LIMIT = 200


def care_customers(*, manager, today: date, ahead: int = CARE_DAYS_AHEAD, limit: int = CARE_LIMIT
                   ) -> tuple[list[tuple[date, Customer]], int]:
    """The manager's customers whose care day falls today or in the next ``ahead`` days, in date order,
    and how many there are: one query through customer_care_day_idx (month, day of care_date), a count
    only when there are more than ``limit`` (the page says so; a list is never cut silently)."""
    days = care_days(today, ahead)
    shown_on = {(m, d): shown for shown, m, d in days}
    qs = Customer.objects.filter(_manager_filter(manager, "account_manager"), _care_q(days),
                                 care_date__isnull=False, merged_into__isnull=True)
    # Cut in date order (the database sorts by the day's place in the window), so past the limit it is the
    # furthest days that are left for the count, never today's.
    place = Case(*[When(care_date__month=m, care_date__day=d, then=Value(i)) for i, (_shown, m, d) in enumerate(days)],
                 output_field=IntegerField())
    found = list(qs.only("pk", "name", "kind", "care_date", "care_greetings", "account_manager_id")
                 .annotate(care_place=place).order_by("care_place", "name", "pk")[:limit + 1])
    total = qs.count() if len(found) > limit else len(found)
    rows = [(shown_on[(c.care_date.month, c.care_date.day)], c) for c in found[:limit]]
    return sorted(rows, key=lambda r: (r[0], r[1].name, r[1].pk)), total


def greeting_candidates(*, today: date) -> QuerySet:
    """Customers who agreed to a greeting and whose care day is today (Feb 29 on Feb 28 of a common year)."""
    days = [d for d in care_days(today, 0)]
    return (Customer.objects.filter(_care_q(days), care_date__isnull=False, care_greetings=True,
                                    merged_into__isnull=True)
            .prefetch_related("phones").order_by("pk"))


def customer_mobile(customer: Customer) -> str:
    """The customer's primary mobile (else any mobile), from prefetched phones; "" when none."""
    from customers.models import CustomerPhone

    mobiles = sorted((p for p in customer.phones.all() if p.label == CustomerPhone.Label.MOBILE),
                     key=lambda p: (not p.is_primary, p.pk))
    return mobiles[0].number if mobiles else ""
