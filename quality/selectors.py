"""Reads of the quality area. The assessment app's score calls deductions_by_person()."""
from datetime import datetime
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from .models import DailySample, DemeritSlip, Finding, InspectionTask


def deductions_by_person(*, start: datetime, end: datetime, user_ids=None) -> dict[int, dict[str, Decimal]]:
    """Points deducted per person for what happened in [start, end) (aware datetimes, local month
    bounds from reports.periods), as {user_id: {"demerits": Decimal, "qa": Decimal}}: demerit slips and
    quality-inspection findings, both as positive points to subtract. People with nothing deducted are
    absent. A fixed number of queries (SQL aggregates) whatever the number of people.

    A slip counts in the month it happened (occurred_at); a finding in the month the inspected work was
    done (occurred_at), not the day it was inspected. Withdrawn slips and overturned findings do not count.
    Two queries."""
    slips = DemeritSlip.objects.filter(withdrawn_at__isnull=True, occurred_at__gte=start, occurred_at__lt=end)
    findings = Finding.objects.filter(overturned_at__isnull=True, occurred_at__gte=start, occurred_at__lt=end)
    if user_ids is not None:
        ids = list(user_ids)
        slips = slips.filter(person_id__in=ids)
        findings = findings.filter(person_id__in=ids)
    out: dict[int, dict[str, Decimal]] = {}
    for key, qs in (("demerits", slips), ("qa", findings)):
        for person_id, total in qs.values("person_id").annotate(total=Sum("points")).values_list("person_id",
                                                                                                   "total"):
            if total:
                row = out.setdefault(person_id, {"demerits": Decimal("0"), "qa": Decimal("0")})
                row[key] = Decimal(total)
    return out


def visible_people_q(*, user, field: str = "person", also: Q | None = None) -> Q:
    """Whose slips and findings `user` may see: managers everyone, supervisors their team(s) and
    themselves, everyone else only their own (issue 18: rules for data and access); `also` adds rows
    they may see for another reason (what they recorded or found)."""
    if user.has_perm("quality.view_all_quality"):
        return Q()  # everything (an empty Q OR-ed with another would narrow it: return before `also`)
    q = Q(**{field: user})
    if user.has_perm("quality.view_team_quality"):
        q |= Q(**{f"{field}__profile__team__supervisor": user})
    return q | also if also is not None else q


def slip_list(*, user, person_id: int | None = None, month: tuple[datetime, datetime] | None = None,
              include_withdrawn: bool = True) -> QuerySet:
    qs = DemeritSlip.objects.filter(visible_people_q(user=user))
    if person_id:
        qs = qs.filter(person_id=person_id)
    if month:
        qs = qs.filter(occurred_at__gte=month[0], occurred_at__lt=month[1])
    if not include_withdrawn:
        qs = qs.filter(withdrawn_at__isnull=True)
    return qs.order_by("-occurred_at", "-id")


def slip_rows() -> QuerySet:
    return DemeritSlip.objects.select_related("person", "category", "recorded_by")


def slip_detail(*, pk: int, user) -> DemeritSlip:
    """The slip if `user` may see it; DemeritSlip.DoesNotExist otherwise (the view answers 404)."""
    # The recorder always sees what they recorded (the bell tells them of the person's response), even
    # when the person has since moved to a team they do not supervise.
    return (slip_rows().select_related("withdrawn_by").filter(visible_people_q(user=user, also=Q(recorded_by=user)))
            .get(pk=pk))


def slip_events(*, slip) -> list:
    return list(slip.events.select_related("actor"))


def latest_sample() -> DailySample | None:
    return DailySample.objects.order_by("-day").first()


def inspection_queue(*, sample: DailySample, status: str | None = None) -> QuerySet:
    qs = InspectionTask.objects.filter(sample=sample)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("status", "id")


def inspection_rows() -> QuerySet:
    return InspectionTask.objects.select_related("ticket", "contact", "contact__customer", "work_order",
                                                 "person", "inspector")


def inspection_detail(*, pk: int) -> InspectionTask:
    return inspection_rows().select_related("ticket__customer", "work_order__customer").get(pk=pk)


def finding_list(*, user, person_id: int | None = None, severity_id: int | None = None,
                 month: tuple[datetime, datetime] | None = None) -> QuerySet:
    qs = Finding.objects.filter(visible_people_q(user=user))
    if person_id:
        qs = qs.filter(person_id=person_id)
    if severity_id:
        qs = qs.filter(severity_id=severity_id)
    if month:
        qs = qs.filter(occurred_at__gte=month[0], occurred_at__lt=month[1])
    return qs.order_by("-found_at", "-id")


def finding_rows() -> QuerySet:
    return Finding.objects.select_related("item", "severity", "person", "found_by", "task")


def finding_detail(*, pk: int, user) -> Finding:
    return (finding_rows().select_related("overturned_by", "task__ticket", "task__contact", "task__work_order")
            # the inspector sees their own findings (the sample spans every team), as their bell links them
            .filter(visible_people_q(user=user, also=Q(found_by=user))).get(pk=pk))
