"""Writes for planned maintenance (issue 17 §6). Views, the beat job and the bench call these.

Exactly once per occurrence: the sweep claims due plans with SELECT … FOR UPDATE SKIP LOCKED (so two
racing beats take different plans) and inserts the visit under the (plan, due_on) unique constraint in
the same transaction as its ticket and work order: the constraint is what decides, on SQLite too.
"""
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import prefetch_related_objects
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy

from servicedesk import roles
from servicedesk.preferences import Note
from servicedesk.services import notify_many, system_user

from .models import MaintenancePlan, MaintenanceVisit

logger = logging.getLogger(__name__)

MISSED_KIND = "maintenance_missed"
SYSTEM_USERNAME = "maintenance"
# A plan caught up after a long downtime: at most this many occurrences per plan per pass (the next
# pass goes on), so one plan cannot hold its lock for long.
MAX_OCCURRENCES_PER_PASS = 24


def lead_days() -> int:
    return int(getattr(settings, "MAINTENANCE_LEAD_DAYS", 7))


def maintenance_user():
    """The inactive account the sweep opens tickets and work orders under (the timeline names it)."""
    return system_user(username=SYSTEM_USERNAME, display_name="计划维护")


# --- plans ----------------------------------------------------------------------------------------

PLAN_FIELDS = ("title", "site", "kind", "interval_months", "month_days", "start_on", "checklist", "skill",
               "estimated_value", "active", "notes")


def _first_due(plan: MaintenancePlan, today: date) -> date:
    """The first occurrence after today: a new plan (or a changed schedule) never creates visits for dates
    gone by, nor for today, whose visit window has begun (and a plan saved after the day's last sweep would
    find its visit missed). Visits already created stay as they are."""
    return plan.next_after(today)


def _validate(plan: MaintenancePlan, assets) -> None:
    if plan.kind == MaintenancePlan.Kind.EVERY_N_MONTHS and not plan.interval_months:
        raise ValidationError({"interval_months": _("Say every how many months.")})
    if plan.kind == MaintenancePlan.Kind.SEASONAL and not plan.month_days:
        raise ValidationError({"month_days": _("Enter at least one date (month-day).")})
    if plan.kind != MaintenancePlan.Kind.SEASONAL:
        plan.month_days = []
    if plan.kind != MaintenancePlan.Kind.EVERY_N_MONTHS:
        plan.interval_months = None
    if not plan.checklist_items():
        raise ValidationError({"checklist": _("Enter at least one checklist item.")})
    if any(a.customer_id != plan.customer_id for a in assets):
        raise ValidationError({"assets": _("That asset belongs to another customer.")})
    plan.full_clean(exclude=["customer", "skill", "created_by"])


def plan_create(*, customer, created_by, assets=(), other_skills=(), now: datetime | None = None,
                **fields) -> MaintenancePlan:
    """A maintenance plan for a customer (a site, some of their assets); its first visit is the first
    occurrence from today on."""
    now = now or timezone.now()
    plan = MaintenancePlan(customer=customer, created_by=created_by, **fields)
    assets = list(assets)
    _validate(plan, assets)
    plan.next_due_on = _first_due(plan, timezone.localtime(now).date()) if plan.active else None
    with transaction.atomic():
        plan.save()
        plan.assets.set(assets)
        plan.other_skills.set([s for s in other_skills if s.pk != plan.skill_id])
    return plan


def plan_update(*, plan: MaintenancePlan, actor, assets=(), other_skills=(), now: datetime | None = None,
                **fields) -> MaintenancePlan:
    """Change a plan. A changed schedule (or re-activation) recomputes the next visit from today on,
    skipping occurrences that already have a visit; pausing clears it (the sweep no longer sees it)."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    with transaction.atomic():
        locked = MaintenancePlan.objects.select_for_update().get(pk=plan.pk)
        before = (locked.kind, locked.interval_months, locked.month_days, locked.start_on, locked.active)
        for name, value in fields.items():
            setattr(locked, name, value)
        assets = list(assets)
        _validate(locked, assets)
        after = (locked.kind, locked.interval_months, locked.month_days, locked.start_on, locked.active)
        if not locked.active:
            locked.next_due_on = None
        elif before != after or locked.next_due_on is None:
            due = _first_due(locked, today)
            taken = set(locked.visits.filter(due_on__gte=due).values_list("due_on", flat=True)[:500])
            while due in taken:
                due = locked.next_after(due)
            locked.next_due_on = due
        locked.save()
        locked.assets.set(assets)
        locked.other_skills.set([s for s in other_skills if s.pk != locked.skill_id])
    return locked


# --- the visit sweep ------------------------------------------------------------------------------

@dataclass
class SweepResult:
    ordered: int = 0
    missed: int = 0
    failed: int = 0
    dispatched: int = 0

    @property
    def visits(self) -> int:
        return self.ordered + self.missed + self.failed


def _instructions(plan: MaintenancePlan) -> str:
    """The checklist, skills and assets written on the ticket and the work order. Reads the plan's
    assets and other skills through .all(): prefetched by _claim, so no query here."""
    lines = [_("Planned maintenance: %(title)s") % {"title": plan.title}, "", _("Checklist:")]
    lines += [f"{i}. {item}" for i, item in enumerate(plan.checklist_items(), start=1)]
    skills = [plan.skill, *plan.other_skills.all()]
    lines += ["", _("Skills needed: %(skills)s") % {"skills": ", ".join(str(s) for s in skills)}]
    assets = list(plan.assets.all())
    if assets:
        lines.append(_("Assets: %(assets)s") % {"assets": "; ".join(
            f"{a.product} {a.model} {a.serial_number}".strip() for a in assets)})
    if plan.notes.strip():
        lines += ["", plan.notes.strip()]
    return "\n".join(lines)[:4000]


def visit_window(due_on: date) -> tuple[datetime, datetime]:
    """The visit's window on its day (09:00–17:00 local): the work order's window, and the moment the
    ticket's SLA clocks start from (sla clocks_start(clocks_from=…))."""
    tz = timezone.get_current_timezone()
    return datetime.combine(due_on, time(9), tzinfo=tz), datetime.combine(due_on, time(17), tzinfo=tz)


def _order_visit(visit: MaintenanceVisit, plan: MaintenancePlan, *, user, now: datetime,
                 dispatch_settings=None) -> None:
    """The visit's ticket (repair, opened by the maintenance account) and work order. The caller holds
    the savepoint (one per visit): a ValidationError (a customer without a region or address) rolls
    both back and the caller records a FAILED visit with the reason instead of stalling the sweep."""
    from dispatch.services import workorder_create
    from tickets.services import ticket_create

    assets = list(plan.assets.all())
    asset = assets[0] if len(assets) == 1 else None
    window_start, window_end = visit_window(visit.due_on)
    instructions = _instructions(plan)
    ticket = ticket_create(
        customer=plan.customer, kind="repair", channel="phone", created_by=user,
        subject=str(_("Planned maintenance %(date)s: %(title)s") % {
            "date": visit.due_on.isoformat(), "title": plan.title})[:200],
        description=instructions, asset=asset, now=now, fault_alert=False,
        # Planned work is due from its visit, not from the day the planner opened it ahead: the clocks
        # (first response, resolution) start at the window, so nothing warns or breaches before it.
        clocks_from=window_start)
    wo = workorder_create(
        ticket=ticket, created_by=user, skill=plan.skill, estimated_value=plan.estimated_value,
        window_start=window_start, window_end=window_end, instructions=instructions, asset=asset,
        address=plan.site, now=now, settings=dispatch_settings)
    visit.ticket, visit.work_order, visit.status = ticket, wo, MaintenanceVisit.Status.ORDERED


def _claim(horizon: date, batch: int) -> list[MaintenancePlan]:
    """Lock the batch's due plans (SKIP LOCKED: a racing beat takes others) with everything each visit
    reads — customer and region, skills, assets — in three queries for the batch."""
    qs = (MaintenancePlan.objects.filter(active=True, next_due_on__lte=horizon)
          .order_by("next_due_on", "id").select_related("customer__region", "skill"))
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    plans = list(qs[:batch])
    # Prefetched after the lock (a prefetch on a FOR UPDATE query would lock the related rows too).
    prefetch_related_objects(plans, "assets", "other_skills")
    return plans


def sweep_probe(*, now: datetime | None = None, batch: int = 50):
    """The sweep's index probe (the bench prints its EXPLAIN)."""
    today = timezone.localtime(now or timezone.now()).date()
    return (MaintenancePlan.objects.filter(active=True, next_due_on__lte=today + timedelta(days=lead_days()))
            .order_by("next_due_on", "id").values("id")[:batch])


def visits_create_due(*, now: datetime | None = None, batch: int = 50, max_batches: int = 200,
                      dispatch: bool = True) -> SweepResult:
    """Create each due occurrence's visit once, MAINTENANCE_LEAD_DAYS ahead of its date (issue 17 §6).

    Occurrences whose date is already past when the sweep reaches them (beat was down) are recorded
    as MISSED, once each, with no work order (a visit for a day gone by is not a job to dispatch) —
    and they escalate like any missed visit. Occurrences due today or later get a repair ticket and a
    work order carrying the checklist and the skills; after commit each work order is dispatched by
    dispatch's own rules (caps included). Bounded: `batch` plans per transaction, `max_batches` per run.
    """
    from dispatch.models import DispatchSettings

    now = now or timezone.now()
    today = timezone.localtime(now).date()
    horizon = today + timedelta(days=lead_days())
    user = maintenance_user()
    result = SweepResult()
    for _batch in range(max_batches):
        to_dispatch = []
        with transaction.atomic():
            plans = _claim(horizon, batch)
            if not plans:
                break
            dispatch_settings = DispatchSettings.load()  # once per batch (caps, value tiers)
            for plan in plans:
                due = plan.next_due_on
                for _n in range(MAX_OCCURRENCES_PER_PASS):
                    if due is None or due > horizon:
                        break
                    visit = _visit_once(plan, due, today=today, user=user, now=now,
                                        dispatch_settings=dispatch_settings)
                    if visit is not None:
                        if visit.status == MaintenanceVisit.Status.ORDERED:
                            result.ordered += 1
                            to_dispatch.append(visit.work_order)
                        elif visit.status == MaintenanceVisit.Status.MISSED:
                            result.missed += 1
                        else:
                            result.failed += 1
                    due = plan.next_after(due)
                # compare-and-set: only the run that read this next_due_on moves it
                MaintenancePlan.objects.filter(pk=plan.pk, next_due_on=plan.next_due_on).update(
                    next_due_on=due, updated_at=now)
        # After the batch's commit (this block is its transaction): each work order is offered by
        # dispatch's own rules, its caps recounted under the technician's lock, one at a time.
        if dispatch:
            result.dispatched += _dispatch(to_dispatch, now=now, settings=dispatch_settings)
        if len(plans) < batch:
            break
    return result


def _visit_once(plan, due: date, *, today: date, user, now: datetime,
                dispatch_settings=None) -> MaintenanceVisit | None:
    """Insert the (plan, due_on) visit with its ticket and work order, in one savepoint; None when the
    visit exists already (another run made it: the unique constraint refuses the insert, and the
    savepoint takes this run's ticket and work order back with it)."""
    from django.db import IntegrityError

    visit = MaintenanceVisit(plan=plan, due_on=due, created_at=now, escalate_on=due + timedelta(days=1),
                             status=MaintenanceVisit.Status.MISSED)
    if due >= today:
        try:
            with transaction.atomic():
                _order_visit(visit, plan, user=user, now=now, dispatch_settings=dispatch_settings)
                visit.save(force_insert=True)
            return visit
        except IntegrityError:
            return None
        except ValidationError as exc:
            visit.status = MaintenanceVisit.Status.FAILED
            visit.problem = "; ".join(exc.messages)[:300]
            visit.ticket = visit.work_order = None
    try:
        with transaction.atomic():
            visit.save(force_insert=True)
    except IntegrityError:
        return None
    return visit


def _dispatch(work_orders, *, now: datetime, settings=None) -> int:
    from dispatch.services import workorder_auto_dispatch

    done = 0
    for wo in work_orders:
        try:
            decision = workorder_auto_dispatch(work_order=wo, actor=None, now=now, settings=settings)
        except ValidationError:  # someone dispatched it by hand meanwhile
            continue
        except Exception:  # one bad work order must not stop the others; it waits on the board
            logger.exception("maintenance: dispatching work order %s failed", wo.pk)
            continue
        done += decision.chosen_id is not None
    return done


# --- missed visits --------------------------------------------------------------------------------

def _supervisors():
    return list(get_user_model().objects.filter(groups__name=roles.SUPERVISOR, is_active=True).distinct()
                .order_by("pk"))


def visits_escalate_missed(*, now: datetime | None = None, batch: int = 100, max_batches: int = 100) -> int:
    """A visit whose date passed without its work order closed escalates once (bell, kind
    maintenance_missed) to the customer's account manager and the supervisors. Found through
    escalate_on (partial index); the compare-and-set on escalated_at makes it exactly once."""
    from dispatch.models import WorkOrder

    now = now or timezone.now()
    today = timezone.localtime(now).date()
    sent = 0
    supervisors = None
    for _batch in range(max_batches):
        with transaction.atomic():
            qs = (MaintenanceVisit.objects.filter(escalate_on__lte=today).order_by("escalate_on", "id")
                  .select_related("plan__customer__account_manager", "work_order"))
            if connection.features.has_select_for_update_skip_locked:
                qs = qs.select_for_update(skip_locked=True, of=("self",))
            visits = list(qs[:batch])
            if not visits:
                break
            # signed off by the customer (done) is a visit made; closing it is a later office step
            done = [v.pk for v in visits if v.work_order and v.work_order.status in (WorkOrder.Status.DONE,
                                                                                     WorkOrder.Status.CLOSED)]
            late = [v for v in visits if v.pk not in done]
            MaintenanceVisit.objects.filter(pk__in=done).update(escalate_on=None)
            # compare-and-set per visit: only the run that flips escalated_at sends the bell
            claimed = {v.pk for v in late if MaintenanceVisit.objects.filter(
                pk=v.pk, escalated_at__isnull=True).update(escalated_at=now, escalate_on=None) == 1}
            MaintenanceVisit.objects.filter(pk__in=[v.pk for v in late if v.pk not in claimed]).update(escalate_on=None)
            if supervisors is None and claimed:
                supervisors = _supervisors()
            notes = []
            for visit in late:
                if visit.pk not in claimed:
                    continue
                notes += _missed_notes(visit, supervisors or [])
            notify_many(notes, email=True, kind=MISSED_KIND)
            sent += len(claimed)
        if len(visits) < batch:
            break
    return sent


def _missed_notes(visit: MaintenanceVisit, supervisors) -> list[Note]:
    plan = visit.plan
    manager = plan.customer.account_manager
    recipients = {u.pk: u for u in supervisors}
    if manager is not None and manager.is_active:
        recipients.setdefault(manager.pk, manager)
    if visit.work_order is not None:
        text = gettext_lazy("Maintenance visit missed: %(plan)s for %(customer)s was due on %(date)s; "
                            "work order %(number)s is not closed.")
    elif visit.status == MaintenanceVisit.Status.MISSED:
        text = gettext_lazy("Maintenance visit missed: %(plan)s for %(customer)s was due on %(date)s; "
                            "no work order was created (the planner was not running before that date).")
    else:
        text = gettext_lazy("Maintenance visit missed: %(plan)s for %(customer)s was due on %(date)s; "
                            "no work order could be created: %(problem)s")
    params = {"plan": plan.title, "customer": plan.customer.name, "date": visit.due_on.isoformat(),
              "number": visit.work_order.number if visit.work_order else "", "problem": visit.problem}
    url = reverse("maintenance:detail", args=[plan.pk])
    return [Note(recipient=user, message=text, params=params, url=url, kind=MISSED_KIND,
                 group=f"maintenance:{plan.pk}") for user in recipients.values()]
