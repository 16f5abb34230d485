"""Reads for dispatch. Every function returns with its joins applied; query counts stay fixed."""
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from servicedesk.lookups import localized_name

from .models import DispatchDecision, LeaveDay, Offer, Technician, WorkOrder


def day_bounds(now: datetime) -> tuple[datetime, datetime, datetime]:
    """(start of today, start of tomorrow, start of this ISO week) in the department's time zone."""
    local = timezone.localtime(now)
    start = timezone.make_aware(datetime.combine(local.date(), time.min), local.tzinfo)
    return start, start + timedelta(days=1), start - timedelta(days=local.weekday())


def _count(qs):
    return Coalesce(
        Subquery(qs.order_by().values("technician").annotate(c=Count("pk")).values("c")[:1], output_field=IntegerField()),
        Value(0),
    )


def technicians_on_duty():
    """Technician profiles that may be given a job: active, on an active account that may work on jobs
    (dispatch.work_on_jobs, the technician role). A profile left on an account that moved to another
    role or was switched off would be offered jobs it cannot open or answer (issue 11: every link a
    person is sent opens for them)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    perm = {"permission__content_type__app_label": "dispatch", "permission__codename": "work_on_jobs"}
    user_model = get_user_model()
    in_role = Exists(user_model.groups.through.objects.filter(
        user=OuterRef("user_id"), group__in=Group.permissions.through.objects.filter(**perm).values("group")))
    own = Exists(user_model.user_permissions.through.objects.filter(user=OuterRef("user_id"), **perm))
    return Technician.objects.filter(is_active=True, user__is_active=True).filter(
        Q(user__is_superuser=True) | in_role | own)


def technicians_with_load(*, now: datetime, qs=None):
    """Technicians annotated with jobs_today, jobs_week (offers pending or accepted) and open_jobs."""
    day_start, day_end, week_start = day_bounds(now)
    offers = Offer.objects.filter(technician=OuterRef("pk"), answer__in=Offer.COUNTED_ANSWERS)
    qs = qs if qs is not None else technicians_on_duty()
    return qs.select_related("user").annotate(
        jobs_today=_count(offers.filter(offered_at__gte=day_start, offered_at__lt=day_end)),
        jobs_week=_count(offers.filter(offered_at__gte=week_start, offered_at__lt=week_start + timedelta(days=7))),
        open_jobs=_count(WorkOrder.objects.filter(technician=OuterRef("pk"), status__in=WorkOrder.HELD_STATUSES)),
    )


@dataclass
class Candidate:
    """A technician as one dispatch decision sees them (plain values: no model instances to build)."""

    pk: int
    name: str
    level: str
    last_assigned_at: datetime | None
    has_skill: bool
    covers_region: bool
    jobs_today: int = 0
    jobs_week: int = 0
    open_jobs: int = 0
    on_leave: bool = False
    declined_before: bool = False
    expired_before: bool = False
    contender: bool = False


def _display_name(first: str, last: str, username: str) -> str:
    # Same as Technician.__str__ (User.get_full_name() or username).
    return f"{first} {last}".strip() or username


def technicians_for_dispatch(*, work_order: WorkOrder, levels: list[str], now: datetime) -> list[Candidate]:
    """Every technician on duty with what eligibility needs, in two queries whatever their number.

    Query 1 reads all active technicians with the static facts (skill, region; level is a column).
    Query 2 counts the load (today, this ISO week, open jobs), leave on the visit day and this job's
    history only for the contenders — the technicians with the skill, the region and an allowed
    level — so its cost follows the few who could take the job, not the whole workforce.
    """
    has_skill = Exists(Technician.skills.through.objects.filter(technician=OuterRef("pk"), skill=work_order.skill_id))
    covers = Exists(Technician.regions.through.objects.filter(technician=OuterRef("pk"), region=work_order.region_id))
    rows = (
        technicians_on_duty()
        .annotate(has_skill=has_skill, covers_region=covers)
        .order_by("pk")
        .values_list("pk", "user__first_name", "user__last_name", "user__username", "level", "last_assigned_at",
                     "has_skill", "covers_region")
    )
    candidates = {
        pk: Candidate(pk=pk, name=_display_name(first, last, username), level=level, last_assigned_at=last_at,
                      has_skill=skill_ok, covers_region=region_ok)
        for pk, first, last, username, level, last_at, skill_ok, region_ok in rows
    }
    job_day = timezone.localtime(work_order.window_start).date()
    past = Offer.objects.filter(work_order=work_order.pk, technician=OuterRef("pk"))
    contenders = technicians_with_load(
        now=now, qs=technicians_on_duty().filter(level__in=list(levels)).filter(has_skill, covers)
    ).annotate(
        on_leave=Exists(LeaveDay.objects.filter(technician=OuterRef("pk"), day=job_day)),
        declined_before=Exists(past.filter(answer=Offer.Answer.DECLINED)),
        expired_before=Exists(past.filter(answer=Offer.Answer.EXPIRED)),
    ).order_by().values_list("pk", "jobs_today", "jobs_week", "open_jobs", "on_leave", "declined_before",
                             "expired_before")
    for pk, today, week, open_jobs, leave, declined, expired in contenders:
        c = candidates.get(pk)
        if c is None:  # became active between the two reads: next decision sees them
            continue
        c.jobs_today, c.jobs_week, c.open_jobs = today, week, open_jobs
        c.on_leave, c.declined_before, c.expired_before, c.contender = leave, declined, expired, True
    return list(candidates.values())


def my_jobs(*, technician: Technician, now: datetime):
    """The technician's phone: pending offers, then today's and upcoming held jobs in visit order."""
    pending = list(
        Offer.objects.filter(technician=technician, answer=Offer.Answer.PENDING)
        .select_related("work_order__customer", "work_order__region", "work_order__skill")
        .order_by("expires_at")
    )
    jobs = list(
        WorkOrder.objects.filter(
            technician=technician,
            status__in=(WorkOrder.Status.ACCEPTED, WorkOrder.Status.ARRIVED, WorkOrder.Status.IN_PROGRESS,
                        WorkOrder.Status.DONE),
        )
        .select_related("customer", "region", "skill")
        .prefetch_related("customer__phones")
        .order_by("window_start", "id")
    )
    _, day_end, _ = day_bounds(now)
    today = [j for j in jobs if j.window_start < day_end]
    later = [j for j in jobs if j.window_start >= day_end]
    return {"offers": pending, "today": today, "later": later}


def workorder_detail(*, pk: int) -> WorkOrder:
    return (
        WorkOrder.objects.select_related("ticket", "customer", "asset", "region", "skill", "technician__user", "quote")
        .prefetch_related(
            "customer__phones",
            "part_usages__part",
            "photos",
            Prefetch("offers", queryset=Offer.objects.select_related("technician__user")),
            Prefetch("decisions", queryset=DispatchDecision.objects.select_related("chosen__user", "actor")),
            "escalations",
        )
        .get(pk=pk)
    )


def board(*, now: datetime, region=None):
    """The supervisor's dispatch board: fixed number of queries whatever the number of rows."""
    unassigned = (
        WorkOrder.objects.filter(status=WorkOrder.Status.UNASSIGNED)
        .select_related("ticket", "customer", "region", "skill")
        .order_by("window_start", "id")
    )
    pending = (
        Offer.objects.filter(answer=Offer.Answer.PENDING)
        .select_related("work_order__region", "technician__user")
        .order_by("expires_at")
    )
    if region is not None:
        unassigned = unassigned.filter(region=region)
        pending = pending.filter(work_order__region=region)
    technicians = technicians_with_load(now=now).prefetch_related("regions").order_by("user__first_name", "user__username")
    by_region = list(
        WorkOrder.objects.filter(status__in=WorkOrder.OPEN_STATUSES)
        .values("region__name", "region__name_en", "region_id")
        .annotate(
            unassigned=Count("pk", filter=Q(status=WorkOrder.Status.UNASSIGNED)),
            offered=Count("pk", filter=Q(status=WorkOrder.Status.OFFERED)),
            held=Count("pk", filter=Q(status__in=WorkOrder.HELD_STATUSES) & ~Q(status=WorkOrder.Status.OFFERED)),
        )
        .order_by("region__name")
    )
    for row in by_region:
        row["region"] = localized_name(row["region__name"], row["region__name_en"])
    by_region.sort(key=lambda row: row["region"])  # alphabetical in the reader's language
    return {"unassigned": unassigned, "pending": pending, "technicians": technicians, "by_region": by_region}


def ticket_workorders(*, ticket):
    return (
        WorkOrder.objects.filter(ticket=ticket)
        .select_related("technician__user", "skill", "region")
        .order_by("created_at", "id")
    )


def _ticket_workorders_by_id(ticket_id):
    return ticket_workorders(ticket=ticket_id)


def ticket_workorder_list(*, ticket) -> list:
    """ticket_workorders as a list, its SQL compiled once per process (the ticket page's panel)."""
    from servicedesk.compiled import compiled_objects

    return compiled_objects("dispatch.ticket_workorders", _ticket_workorders_by_id, ticket.pk)
