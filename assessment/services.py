"""Writes of the assessment area (issue 18 item 1): open a month, submit a form, close and lock, adjust."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk.preferences import Message
from servicedesk.services import notify_many

from . import selectors
from .models import (
    Adjustment,
    AssessmentEvent,
    Cycle,
    EvaluationTask,
    EvaluatorAssignment,
    EvaluatorKind,
    Result,
)

HUNDRED = Decimal("100")


def _event(*, action, actor, at, cycle=None, person=None, detail=None):
    return AssessmentEvent.objects.create(action=action, actor=actor, at=at, cycle=cycle, person=person,
                                          detail=detail or {})


# --- Configuration -------------------------------------------------------------------------------------
def evaluator_assign(*, person, evaluator, kind: EvaluatorKind, by, now: datetime | None = None) -> EvaluatorAssignment:
    """Set who evaluates whom, as which kind. Takes effect from the next cycle opened."""
    now = now or timezone.now()
    if person.pk == evaluator.pk:
        raise ValidationError(_("A person cannot evaluate themselves."))
    if EvaluatorAssignment.objects.filter(person=person, evaluator=evaluator, kind=kind).exists():
        raise ValidationError(_("This evaluator is already set for this person as this kind."))
    try:
        with transaction.atomic():
            row = EvaluatorAssignment.objects.create(person=person, evaluator=evaluator, kind=kind, created_by=by)
            _event(action=AssessmentEvent.Action.EVALUATOR_ADDED, actor=by, at=now, person=person,
                   detail={"evaluator": evaluator.pk, "kind": kind.code, "before": None, "after": row.pk})
    except IntegrityError:  # the same assignment saved twice at once: the unique constraint decides
        raise ValidationError(_("This evaluator is already set for this person as this kind.")) from None
    return row


def evaluator_unassign(*, assignment: EvaluatorAssignment, by, now: datetime | None = None) -> None:
    now = now or timezone.now()
    with transaction.atomic():
        _event(action=AssessmentEvent.Action.EVALUATOR_REMOVED, actor=by, at=now, person=assignment.person,
               detail={"evaluator": assignment.evaluator_id, "kind": assignment.kind.code,
                       "before": assignment.pk, "after": None})
        assignment.delete()


# --- Cycle ---------------------------------------------------------------------------------------------
def cycle_open(*, month: date, by, now: datetime | None = None) -> Cycle:
    """Open the month's assessment (issue 18 item 1): copy the form, weights and rules into the cycle so
    later edits do not change it, create one form per evaluator per person (the supervisor defaults to
    the person's team supervisor), and ring each evaluator's bell once with a link to their forms."""
    now = now or timezone.now()
    month = month.replace(day=1)
    if Cycle.objects.filter(month=month).exists():
        raise ValidationError(_("The assessment of this month is already open or closed."))
    rules = selectors.current_rules()
    if not rules["items"]:
        raise ValidationError(_("The assessment form has no active items."))
    people = list(selectors.assessed_people().values_list("pk", "profile__team__supervisor_id",
                                                          "profile__team__supervisor__is_active"))
    person_ids = [pk for pk, _sup, _active in people]
    kinds = {k["id"]: k for k in rules["kinds"]}
    supervisor_kind = next((k for k in rules["kinds"] if k["code"] == EvaluatorKind.SUPERVISOR), None)
    pairs = set(EvaluatorAssignment.objects.filter(person_id__in=person_ids, kind_id__in=list(kinds),
                                                   evaluator__is_active=True)
                .values_list("person_id", "evaluator_id", "kind_id"))
    if supervisor_kind is not None:
        with_supervisor = {p for p, _e, k in pairs if k == supervisor_kind["id"]}
        for pk, sup, sup_active in people:
            # a supervisor who left (inactive) cannot sign in to fill the form: no task, the kind shows missing
            if pk not in with_supervisor and sup and sup_active and sup != pk:
                pairs.add((pk, sup, supervisor_kind["id"]))
    rules["people"] = person_ids
    try:
        with transaction.atomic():
            cycle = _cycle_open_rows(month=month, rules=rules, pairs=pairs, person_ids=person_ids, by=by, now=now)
    except IntegrityError:  # a second click (or manager) opened the month between the check and the insert
        raise ValidationError(_("The assessment of this month is already open or closed.")) from None
    return cycle


def _cycle_open_rows(*, month, rules, pairs, person_ids, by, now) -> Cycle:
    """The rows of an opened month: the cycle, its forms, the event and one bell per evaluator."""
    cycle = Cycle.objects.create(month=month, snapshot=rules, opened_by=by, opened_at=now)
    EvaluationTask.objects.bulk_create(
        [EvaluationTask(cycle=cycle, person_id=p, evaluator_id=e, kind_id=k) for p, e, k in sorted(pairs)],
        batch_size=1000)
    _event(action=AssessmentEvent.Action.CYCLE_OPENED, actor=by, at=now, cycle=cycle,
           detail={"before": None, "after": Cycle.State.OPEN, "people": len(person_ids), "forms": len(pairs)})
    evaluators = sorted({e for _p, e, _k in pairs})
    url = reverse("assessment:my_forms")
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.in_bulk(evaluators)
    notify_many([
        (users[e], Message(_("The %(month)s assessment is open: please fill in your forms."),
                           {"month": str(cycle)}), url)
        for e in evaluators
    ], email=True, kind="assessment_forms", group=f"assessment:{cycle.pk}")  # the preference decides
    return cycle


def evaluation_submit(*, task: EvaluationTask, by, answers: dict, now: datetime | None = None) -> EvaluationTask:
    """Score every item of the month's form 0..its maximum. Only the assigned evaluator, only while the
    cycle is open; submitting again replaces the answers (logged, before → after)."""
    now = now or timezone.now()
    if task.evaluator_id != by.pk:
        raise ValidationError(_("Only the assigned evaluator can fill in this form."))
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().get(pk=task.cycle_id)
        if cycle.state != Cycle.State.OPEN:
            raise ValidationError(_("This assessment is closed: forms can no longer be changed."))
        # Read the form again under the lock: the log's "before" is what is stored, not a stale copy
        # from another tab.
        task = EvaluationTask.objects.select_for_update().get(pk=task.pk)
        clean = {}
        errors = []
        for item in cycle.snapshot["items"]:
            raw = answers.get(item["id"], answers.get(str(item["id"])))
            try:
                value = int(raw)
            except (TypeError, ValueError):
                value = None
            if value is None or not 0 <= value <= int(item["max"]):
                errors.append(item["id"])
                continue
            clean[str(item["id"])] = value
        if errors:
            raise ValidationError(_("Score every item from 0 to its maximum."), params={"items": errors})
        before = str(task.total) if task.total is not None else None
        task.answers = clean
        task.total = Decimal(sum(clean.values()))
        task.submitted_by = by
        task.submitted_at = now
        task.save(update_fields=["answers", "total", "submitted_by", "submitted_at"])
        _event(action=AssessmentEvent.Action.FORM_SUBMITTED, actor=by, at=now, cycle=cycle, person=task.person,
               detail={"task": task.pk, "kind": task.kind_id, "before": before, "after": str(task.total)})
    return task


def _streak(*, score: Decimal, previous: Result | None, threshold: Decimal) -> int:
    """Consecutive closed months below the threshold ending this month; a gap month starts again."""
    if score >= threshold:
        return 0
    return (previous.months_below if previous is not None else 0) + 1


def cycle_close(*, cycle: Cycle, by, now: datetime | None = None) -> Cycle:
    """Close the month: compute and store each person's result, locked from then on (later complaints
    or slips do not change it; corrections are adjustments). Reward at a full score; months below
    the threshold counted across consecutive closed months, flagged at `flag_months`."""
    now = now or timezone.now()
    with transaction.atomic():
        # compare-and-set: two managers pressing "close" at once close it once
        if Cycle.objects.filter(pk=cycle.pk, state=Cycle.State.OPEN).update(
                state=Cycle.State.CLOSED, closed_by=by, closed_at=now) != 1:
            raise ValidationError(_("This assessment is already closed."))
        cycle.refresh_from_db()
        rules = cycle.snapshot
        people = rules.get("people", [])
        breakdowns = selectors.cycle_breakdowns(cycle=cycle, user_ids=people)
        previous = selectors.previous_results(month=cycle.month, user_ids=people)
        threshold = Decimal(rules["threshold"])
        reward = Decimal(rules["reward_amount"])
        rows = []
        for pk in people:
            b = breakdowns[pk]
            score = b.score
            streak = _streak(score=score, previous=previous.get(pk), threshold=threshold)
            rows.append(Result(cycle=cycle, person_id=pk, computed_score=score, score=score,
                               reward=reward if score >= HUNDRED else Decimal("0"), months_below=streak,
                               flagged=streak >= int(rules["flag_months"]), breakdown=b.as_json()))
        Result.objects.bulk_create(rows, batch_size=1000)
        _event(action=AssessmentEvent.Action.CYCLE_CLOSED, actor=by, at=now, cycle=cycle,
               detail={"before": Cycle.State.OPEN, "after": Cycle.State.CLOSED, "results": len(rows)})
    return cycle


def result_adjust(*, result: Result, by, points: Decimal, reason: str, now: datetime | None = None) -> Adjustment:
    """A logged correction to a locked result: score = score at closing + all adjustments, clamped 0..100.
    The reward and this month's below-threshold count follow the new score; later months' counts are
    not rewritten (they were paid on what was known then)."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the score is adjusted."))
    points = Decimal(points)
    if points == 0 or abs(points) > HUNDRED:
        raise ValidationError(_("Adjust by a number of points between -100 and 100, not 0."))
    with transaction.atomic():
        result = Result.objects.select_for_update().select_related("cycle").get(pk=result.pk)
        rules = result.cycle.snapshot
        total = sum((a.points for a in result.adjustments.all()), Decimal("0")) + points
        before = result.score
        after = selectors.q2(min(HUNDRED, max(Decimal("0"), result.computed_score + total)))
        previous = selectors.previous_results(month=result.cycle.month, user_ids=[result.person_id]).get(result.person_id)
        result.score = after
        result.reward = Decimal(rules["reward_amount"]) if after >= HUNDRED else Decimal("0")
        result.months_below = _streak(score=after, previous=previous, threshold=Decimal(rules["threshold"]))
        result.flagged = result.months_below >= int(rules["flag_months"])
        result.save(update_fields=["score", "reward", "months_below", "flagged"])
        adj = Adjustment.objects.create(result=result, points=points, reason=reason[:300], score_before=before,
                                        score_after=after, created_by=by, created_at=now)
        _event(action=AssessmentEvent.Action.SCORE_ADJUSTED, actor=by, at=now, cycle=result.cycle,
               person=result.person, detail={"before": str(before), "after": str(after), "points": str(points),
                                             "reason": reason[:300]})
    return adj
