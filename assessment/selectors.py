"""Reads of the assessment area: the score and its breakdown, for many people at once.

The score (issue 18, "The rules"), for one person in one month:
  per evaluator kind: the average of that kind's *submitted* forms' totals → min(avg, form max) / form max × weight;
  − valid complaints × points per complaint (tickets.selectors.valid_staff_complaints_by_person);
  − demerit-slip and quality-inspection deductions (quality.selectors.deductions_by_person);
  + adjustments made after closing; clamped to 0..100, rounded to 2 decimals.
Worked example: supervisor 54/60, marketing 54/60, production 51/60, peers 60/60 → 45 + 18 + 17 + 10 = 90.

A kind with no submitted form is *missing*: it adds 0 points and the breakdown says so. We do not
renormalise the other weights: a missing form is a gap the manager must chase before closing (the
close page counts forms still out), not a reason to change what the others weigh. A form total above
the form maximum (14 items × 5 = 70 > 60) counts as the maximum, so no kind gives more than its weight.

Every function here issues a fixed number of queries whatever the number of people (SQL aggregates).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Avg, Count, F, OuterRef, Q, QuerySet, Subquery, Sum

from reports.periods import Period, period_containing

from .models import Adjustment, AssessmentSettings, Cycle, EvaluationTask, EvaluatorKind, FormItem, Result

TWO = Decimal("0.01")
HUNDRED = Decimal("100")


def _d(value) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal("0")


def q2(value: Decimal) -> Decimal:
    return value.quantize(TWO, rounding=ROUND_HALF_UP)


# --- The month's rules ---------------------------------------------------------------------------------
def current_rules() -> dict:
    """The form, kinds and settings as they stand now: what cycle_open copies into the cycle. 3 queries."""
    s = AssessmentSettings.current()
    items = [
        {"id": i.pk, "part": i.part.name, "part_en": i.part.name_en, "name": i.name, "name_en": i.name_en,
         "max": i.max_points, "fact": i.fact}
        for i in FormItem.objects.filter(active=True, part__active=True).select_related("part")
    ]
    kinds = [{"id": k.pk, "code": k.code, "name": k.name, "name_en": k.name_en, "weight": str(k.weight)}
             for k in EvaluatorKind.objects.filter(active=True)]
    return {"form_max": s.form_max, "items": items, "kinds": kinds, "complaint_points": str(s.complaint_points),
            "reward_amount": str(s.reward_amount), "threshold": str(s.threshold), "flag_months": s.flag_months}


def cycle_period(cycle_or_month) -> Period:
    month = cycle_or_month.month if isinstance(cycle_or_month, Cycle) else cycle_or_month
    return period_containing("month", month)


# --- The score -----------------------------------------------------------------------------------------
@dataclass
class KindLine:
    code: str
    name: str
    name_en: str
    weight: Decimal
    forms_in: int = 0
    forms_expected: int = 0
    average: Decimal | None = None  # average form total of the submitted forms
    points: Decimal = Decimal("0")

    @property
    def missing(self) -> bool:
        return self.forms_in == 0


@dataclass
class Breakdown:
    person_id: int
    form_max: int
    kinds: list[KindLine] = field(default_factory=list)
    complaints: int = 0
    complaint_points: Decimal = Decimal("0")  # points per complaint
    demerits: Decimal = Decimal("0")
    qa: Decimal = Decimal("0")
    adjustments: Decimal = Decimal("0")

    @property
    def evaluation_points(self) -> Decimal:
        return sum((k.points for k in self.kinds), Decimal("0"))

    @property
    def complaint_deduction(self) -> Decimal:
        return self.complaint_points * self.complaints

    @property
    def raw(self) -> Decimal:
        return self.evaluation_points - self.complaint_deduction - self.demerits - self.qa + self.adjustments

    @property
    def score(self) -> Decimal:
        return q2(min(HUNDRED, max(Decimal("0"), self.raw)))

    @property
    def missing_kinds(self) -> list[KindLine]:
        return [k for k in self.kinds if k.missing]

    def as_json(self) -> dict:
        """What Result.breakdown stores (decimals as strings)."""
        def conv(value):
            if isinstance(value, Decimal):
                return str(value)
            if isinstance(value, list):
                return [conv(v) for v in value]
            if isinstance(value, dict):
                return {k: conv(v) for k, v in value.items()}
            return value

        data = conv(asdict(self))
        data["score"] = str(self.score)
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Breakdown":
        kinds = [KindLine(code=k["code"], name=k["name"], name_en=k["name_en"], weight=_d(k["weight"]),
                          forms_in=k["forms_in"], forms_expected=k["forms_expected"],
                          average=None if k["average"] is None else _d(k["average"]), points=_d(k["points"]))
                 for k in data.get("kinds", [])]
        return cls(person_id=data["person_id"], form_max=data["form_max"], kinds=kinds, complaints=data["complaints"],
                   complaint_points=_d(data["complaint_points"]), demerits=_d(data["demerits"]), qa=_d(data["qa"]),
                   adjustments=_d(data.get("adjustments")))


def kind_points(*, average: Decimal | None, form_max: int, weight: Decimal) -> Decimal:
    """One kind's share of the score: min(average, form max) / form max × weight (0 when missing)."""
    if average is None or not form_max:
        return Decimal("0")
    return q2(min(_d(average), Decimal(form_max)) / Decimal(form_max) * weight)


def score_breakdown(*, user_ids, start: datetime, end: datetime, rules: dict, cycle: Cycle | None = None,
                    with_adjustments: bool = False) -> dict[int, Breakdown]:
    """{user_id: Breakdown} for the month [start, end) under `rules` (a cycle's snapshot or current_rules()).
    Fixed queries: forms (1, only with a cycle), complaints (1), quality deductions, adjustments (1, if asked)."""
    from quality.selectors import deductions_by_person
    from tickets.selectors import valid_staff_complaints_by_person

    user_ids = list(user_ids)
    form_max = int(rules["form_max"])
    kinds = rules["kinds"]
    per_kind: dict[tuple[int, int], dict] = {}
    if cycle is not None and user_ids:
        rows = (EvaluationTask.objects.filter(cycle=cycle, person_id__in=user_ids)
                .values("person_id", "kind_id")
                .annotate(expected=Count("pk"), forms_in=Count("pk", filter=Q(submitted_at__isnull=False)),
                          average=Avg("total", filter=Q(submitted_at__isnull=False)))
                .order_by())
        per_kind = {(r["person_id"], r["kind_id"]): r for r in rows}
    complaints = valid_staff_complaints_by_person(start=start, end=end, user_ids=user_ids) if user_ids else {}
    deductions = deductions_by_person(start=start, end=end, user_ids=user_ids) if user_ids else {}
    adjustments = {}
    if with_adjustments and cycle is not None and user_ids:
        adjustments = dict(Adjustment.objects.filter(result__cycle=cycle, result__person_id__in=user_ids)
                           .values("result__person_id").annotate(total=Sum("points"))
                           .values_list("result__person_id", "total").order_by())
    points_each = _d(rules["complaint_points"])
    result = {}
    for uid in user_ids:
        lines = []
        for k in kinds:
            row = per_kind.get((uid, k["id"]), {})
            average = row.get("average")
            weight = _d(k["weight"])
            lines.append(KindLine(
                code=k["code"], name=k["name"], name_en=k["name_en"], weight=weight,
                forms_in=row.get("forms_in", 0), forms_expected=row.get("expected", 0),
                average=None if average is None else q2(_d(average)),
                points=kind_points(average=average, form_max=form_max, weight=weight)))
        d = deductions.get(uid, {})
        result[uid] = Breakdown(person_id=uid, form_max=form_max, kinds=lines, complaints=complaints.get(uid, 0),
                                complaint_points=points_each, demerits=_d(d.get("demerits")), qa=_d(d.get("qa")),
                                adjustments=_d(adjustments.get(uid)))
    return result


def cycle_breakdowns(*, cycle: Cycle, user_ids) -> dict[int, Breakdown]:
    """The live breakdown of an open cycle's people (closed cycles read Result.breakdown)."""
    period = cycle_period(cycle)
    return score_breakdown(user_ids=user_ids, start=period.start, end=period.end, rules=cycle.snapshot, cycle=cycle)


# --- People --------------------------------------------------------------------------------------------
def assessed_people() -> QuerySet:
    """Active staff assessed every month (permission assessment.be_assessed, through a role or directly)."""
    perm = Permission.objects.filter(content_type__app_label="assessment", codename="be_assessed")
    User = get_user_model()
    return (User.objects.filter(is_active=True)
            .filter(Q(groups__permissions__in=perm) | Q(user_permissions__in=perm))
            .distinct().order_by("pk"))


def team_people_ids(*, supervisor) -> QuerySet:
    """Ids of the people in the teams this person supervises."""
    return get_user_model().objects.filter(profile__team__supervisor=supervisor).values("pk")


def visible_people(*, user, cycle: Cycle) -> QuerySet:
    """The people of a cycle this user may see: a manager everyone, a supervisor their team."""
    qs = get_user_model().objects.filter(pk__in=cycle.snapshot.get("people", [])).order_by("last_name", "first_name",
                                                                                            "username", "pk")
    if user.has_perm("assessment.manage_cycle"):
        return qs
    if user.has_perm("assessment.view_team_results"):
        return qs.filter(pk__in=team_people_ids(supervisor=user))
    return qs.none()


def cycles_list() -> QuerySet:
    return Cycle.objects.select_related("opened_by", "closed_by").annotate(
        forms=Count("tasks"), forms_in=Count("tasks", filter=Q(tasks__submitted_at__isnull=False)))


def cycle_form_counts(*, cycle: Cycle) -> dict:
    return cycle.tasks.aggregate(forms=Count("pk"), forms_in=Count("pk", filter=Q(submitted_at__isnull=False)))


# --- Evaluators ----------------------------------------------------------------------------------------
def tasks_for_evaluator(*, user) -> QuerySet:
    """Forms this person must fill (open cycles) or filled (newest first)."""
    return (EvaluationTask.objects.filter(evaluator=user).select_related("cycle", "person", "kind")
            .order_by("-cycle__month", "submitted_at", "person__first_name", "pk"))


def task_for_evaluator(*, user, pk: int) -> EvaluationTask:
    """One of this evaluator's forms; DoesNotExist for anyone else's."""
    return EvaluationTask.objects.select_related("cycle", "person", "kind").get(pk=pk, evaluator=user)


# --- Results -------------------------------------------------------------------------------------------
def results_for_person(*, user) -> QuerySet:
    return Result.objects.filter(person=user).select_related("cycle").order_by("-cycle__month")


def result_rows(*, cycle: Cycle, user_ids) -> dict[int, Result]:
    return {r.person_id: r for r in Result.objects.filter(cycle=cycle, person_id__in=list(user_ids))
            .prefetch_related("adjustments__created_by")}


def payroll_rows(*, cycle: Cycle) -> QuerySet:
    """One row per person of a closed cycle for payroll: plain values, one query."""
    return (Result.objects.filter(cycle=cycle).order_by("person__username", "pk")
            .values_list("person__username", "person__first_name", "person__last_name", "score", "reward",
                         "months_below", "flagged"))


def previous_results(*, month: date, user_ids) -> dict[int, Result]:
    """The results of the month before `month`, if that month's cycle was closed (else {}: a gap)."""
    prev = cycle_period(month).previous().first
    return {r.person_id: r for r in Result.objects.filter(cycle__month=prev, cycle__state=Cycle.State.CLOSED,
                                                         person_id__in=list(user_ids))}


# --- The monthly report's staff section ------------------------------------------------------------------
SCORE_BANDS = (("full", Decimal("100")), ("from_90", Decimal("90")), ("from_80", Decimal("80")))
MOVER_POINTS = Decimal("5")  # a move of at least this many points against the month before is a "mover"


def staff_summary(*, month: date, team=None) -> dict | None:
    """The closed results of one month, summed up for the monthly report — figures only, no names
    (the report is read and mailed more widely than scores may be: names stay on the cycle page).

    None when the month has no closed cycle (an open one is not final). Otherwise: people assessed,
    average score, the bands 100 / 90–99.99 / 80–89.99 / below the month's threshold, flagged for review,
    rewards paid, and movers: people whose score rose or fell by MOVER_POINTS or more against their own
    result of the month before (only people with a result in both closed months). The team is the
    person's team now. 2 queries."""
    cycle = Cycle.objects.filter(month=month, state=Cycle.State.CLOSED).only("pk", "snapshot").first()
    if cycle is None:
        return None
    threshold = _d(cycle.snapshot.get("threshold", "80"))
    prev_month = cycle_period(month).previous().first
    prev_score = Result.objects.filter(cycle__month=prev_month, cycle__state=Cycle.State.CLOSED,
                                       person_id=OuterRef("person_id")).values("score")[:1]
    qs = Result.objects.filter(cycle=cycle)
    if team is not None:
        qs = qs.filter(person__profile__team=team)
    agg = qs.annotate(prev=Subquery(prev_score)).aggregate(
        people=Count("pk"), average=Avg("score"), rewards=Sum("reward"), flagged=Count("pk", filter=Q(flagged=True)),
        full=Count("pk", filter=Q(score__gte=100)),
        from_90=Count("pk", filter=Q(score__gte=90, score__lt=100)),
        from_80=Count("pk", filter=Q(score__gte=80, score__lt=90)),
        below=Count("pk", filter=Q(score__lt=threshold)),
        rose=Count("pk", filter=Q(prev__isnull=False, score__gte=F("prev") + MOVER_POINTS)),
        fell=Count("pk", filter=Q(prev__isnull=False, score__lte=F("prev") - MOVER_POINTS)),
        compared=Count("pk", filter=Q(prev__isnull=False)),
    )
    agg["average"] = q2(_d(agg["average"])) if agg["average"] is not None else None
    agg["rewards"] = _d(agg["rewards"] or 0)
    agg["threshold"] = threshold
    agg["cycle_id"] = cycle.pk
    return agg
