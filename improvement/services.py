"""Writes of the PDCA register (issue 17 item 9).

Who does what: supervisors and managers (improvement.manage_action) create and edit actions and move any
action's status; an action's owner moves the status of their own actions (they do the work and report it),
but does not rewrite the problem, measure, owner or due date. Status moves: plan → do → check → act → done,
check → do (the check failed: do it again), act → plan (a new PDCA round), and any unfinished status →
dropped, with a reason. Done and dropped are final.
The owner's bell rings when they are given an action and once when it is overdue (once per due date: moving
the due date later re-arms it).
"""
from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk.once import insert_new
from servicedesk.preferences import Message
from servicedesk.services import notify_many

from .models import UNFINISHED, ActionCarryOver, ActionEvent, ImprovementAction

KIND = "improvement_actions"
St = ImprovementAction.Status
TRANSITIONS = {
    St.PLAN: {St.DO, St.DROPPED},
    St.DO: {St.CHECK, St.DROPPED},
    St.CHECK: {St.ACT, St.DO, St.DROPPED},
    St.ACT: {St.DONE, St.PLAN, St.DROPPED},
    St.DONE: set(),
    St.DROPPED: set(),
}
BATCH = 200
EDITABLE = ("problem", "measure", "owner", "due_date", "fault_cause")


def month_of(moment: datetime) -> date:
    return timezone.localdate(moment).replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def _event(action, *, kind, actor, at, detail=None):
    return ActionEvent.objects.create(action=action, kind=kind, actor=actor, at=at, detail=detail or {})


def can_move(*, user, action: ImprovementAction) -> bool:
    return user.has_perm("improvement.manage_action") or (
        action.owner_id == user.pk and user.has_perm("improvement.view_improvementaction"))


def _tell_owner(action: ImprovementAction, text, params) -> None:
    notify_many([(action.owner, Message(text, params), reverse("improvement:detail", args=[action.pk]))],
                email=True, kind=KIND, group=f"improvement:{action.pk}")


def _check_owner(owner) -> None:
    if not owner.is_active or not owner.has_perm("improvement.view_improvementaction"):
        raise ValidationError(_("The owner must be an active member of staff who can open the register."))


def action_create(*, problem: str, measure: str, owner, due_date: date, by, fault_cause=None, complaints=(),
                  survey_responses=(), findings=(), now: datetime | None = None) -> ImprovementAction:
    now = now or timezone.now()
    if not by.has_perm("improvement.manage_action"):
        raise ValidationError(_("Only supervisors and managers create improvement actions."))
    _check_owner(owner)
    with transaction.atomic():
        action = ImprovementAction(problem=(problem or "").strip(), measure=(measure or "").strip(), owner=owner,
                                   due_date=due_date, fault_cause=fault_cause, first_month=month_of(now),
                                   month=month_of(now), created_by=by, created_at=now, updated_at=now)
        action.full_clean()
        action.save()
        action.complaints.set(complaints)
        action.survey_responses.set(survey_responses)
        action.findings.set(findings)
        _event(action, kind="created", actor=by, at=now,
               detail={"before": None, "after": St.PLAN, "owner": owner.pk, "due_date": due_date.isoformat()})
        _tell_owner(action, _("You own improvement action #%(pk)s (due %(due)s): %(problem)s"),
                    {"pk": action.pk, "due": due_date.isoformat(), "problem": action.problem[:80]})
    return action


def action_update(*, action: ImprovementAction, by, problem: str, measure: str, owner, due_date: date,
                  fault_cause=None, complaints=(), survey_responses=(), findings=(),
                  now: datetime | None = None) -> ImprovementAction:
    """Edit an unfinished action (logged before → after). A new owner is told; a later due date re-arms
    the overdue bell."""
    now = now or timezone.now()
    if not by.has_perm("improvement.manage_action"):
        raise ValidationError(_("Only supervisors and managers edit improvement actions."))
    _check_owner(owner)
    with transaction.atomic():
        locked = ImprovementAction.objects.select_for_update().get(pk=action.pk)
        if not locked.is_open:
            raise ValidationError(_("A finished action can no longer be edited."))
        before = {f: str(getattr(locked, f + "_id" if f in ("owner", "fault_cause") else f)) for f in EDITABLE}
        old_owner, old_due = locked.owner_id, locked.due_date
        locked.problem, locked.measure = (problem or "").strip(), (measure or "").strip()
        locked.owner, locked.due_date, locked.fault_cause, locked.updated_at = owner, due_date, fault_cause, now
        if due_date > old_due or owner.pk != old_owner:  # a later date, or a new owner who was never told
            locked.overdue_notified_at = None
        locked.full_clean()
        locked.save()
        locked.complaints.set(complaints)
        locked.survey_responses.set(survey_responses)
        locked.findings.set(findings)
        after = {f: str(getattr(locked, f + "_id" if f in ("owner", "fault_cause") else f)) for f in EDITABLE}
        changed = {f: [before[f], after[f]] for f in EDITABLE if before[f] != after[f]}
        _event(locked, kind="edited", actor=by, at=now, detail={"changed": changed})
        if owner.pk != old_owner:
            _tell_owner(locked, _("You own improvement action #%(pk)s (due %(due)s): %(problem)s"),
                        {"pk": locked.pk, "due": due_date.isoformat(), "problem": locked.problem[:80]})
    return locked


def action_move(*, action: ImprovementAction, by, to_status: str, reason: str = "", note: str = "",
                now: datetime | None = None) -> ImprovementAction:
    """Move along plan → do → check → act → done (TRANSITIONS); dropped needs a reason."""
    now = now or timezone.now()
    if not can_move(user=by, action=action):
        raise ValidationError(_("Only the owner, a supervisor or a manager can move this action."))
    reason = (reason or "").strip()
    with transaction.atomic():
        locked = ImprovementAction.objects.select_for_update().get(pk=action.pk)
        old = locked.status
        if to_status not in TRANSITIONS.get(old, set()):
            raise ValidationError(_("An action in “%(old)s” cannot move to “%(new)s”."),
                                  params={"old": St(old).label,
                                          "new": St(to_status).label if to_status in St.values else to_status})
        if to_status == St.DROPPED and not reason:
            raise ValidationError(_("Say why the action is dropped."))
        locked.status, locked.updated_at = to_status, now
        fields = ["status", "updated_at"]
        if to_status in (St.DONE, St.DROPPED):
            locked.done_at = now
            fields.append("done_at")
        if to_status == St.DROPPED:
            locked.drop_reason = reason[:500]
            fields.append("drop_reason")
        locked.save(update_fields=fields)
        _event(locked, kind="status", actor=by, at=now,
               detail={"before": old, "after": to_status, "reason": reason[:500], "note": (note or "").strip()[:500]})
    return locked


def actions_carry_over(*, now: datetime | None = None, batch: int = BATCH) -> int:
    """Month end (domain: PDCA): every unfinished action still in an earlier month is carried into the current
    one, one ActionCarryOver row per month it crosses — the (action, to_month) unique constraint makes each
    exactly once, however often or late (after downtime) this runs. Bounded batches over the partial index on
    unfinished actions' month. Returns the carry-overs inserted."""
    now = now or timezone.now()
    current = month_of(now)
    total = 0
    while True:
        with transaction.atomic():
            qs = ImprovementAction.objects.filter(status__in=UNFINISHED, month__lt=current).order_by("month", "id")
            if settings.IS_POSTGRES:
                qs = qs.select_for_update(skip_locked=True, of=("self",))
            rows = list(qs[:batch])
            if not rows:
                return total
            carries = []
            for action in rows:
                m = action.month
                while m < current:
                    nxt = next_month(m)
                    carries.append(ActionCarryOver(action=action, from_month=m, to_month=nxt, status=action.status,
                                                   carried_at=now))
                    m = nxt
            inserted = insert_new(ActionCarryOver, carries)
            ActionEvent.objects.bulk_create([
                ActionEvent(action=c.action, kind="carried_over", actor=None, at=now,
                            detail={"before": c.from_month.isoformat(), "after": c.to_month.isoformat(),
                                    "status": c.status})
                for c in inserted])
            ImprovementAction.objects.filter(pk__in=[a.pk for a in rows], month__lt=current).update(month=current)
            total += len(inserted)


def actions_overdue_notify(*, now: datetime | None = None, batch: int = BATCH) -> int:
    """Tell each owner once that their unfinished action is past its due date (compare-and-set on
    overdue_notified_at, read through its partial index)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = 0
    while True:
        with transaction.atomic():
            qs = (ImprovementAction.objects.filter(status__in=UNFINISHED, overdue_notified_at__isnull=True,
                                                   due_date__lt=today).order_by("due_date", "id"))
            if settings.IS_POSTGRES:
                qs = qs.select_for_update(skip_locked=True, of=("self",))
            rows = list(qs.select_related("owner")[:batch])
            if not rows:
                return sent
            claimed = [a for a in rows if ImprovementAction.objects.filter(
                pk=a.pk, overdue_notified_at__isnull=True).update(overdue_notified_at=now) == 1]
            ActionEvent.objects.bulk_create([ActionEvent(action=a, kind="overdue", actor=None, at=now,
                                                         detail={"due_date": a.due_date.isoformat()}) for a in claimed])
            notify_many([(a.owner, Message(_("Improvement action #%(pk)s is overdue (due %(due)s): %(problem)s"),
                                           {"pk": a.pk, "due": a.due_date.isoformat(), "problem": a.problem[:80]}),
                          reverse("improvement:detail", args=[a.pk])) for a in claimed],
                        email=True, kind=KIND, group="improvement:overdue")
            sent += len(claimed)
