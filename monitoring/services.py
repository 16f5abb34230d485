"""Writes of live monitoring: a manager's anomaly rules, and the evaluation that fires alerts."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from servicedesk import roles

from .models import ALERT_MESSAGES, AlertFiring, AnomalyRule, AnomalyRuleEvent, norm_days
from .selectors import BOARD_ROLES, local_day_bounds, local_today, staff_facts

RULE_FIELDS = ("name", "kind", "active", "threshold", "factor", "max_score")


def _snapshot(rule: AnomalyRule) -> dict:
    return {f: (str(getattr(rule, f)) if isinstance(getattr(rule, f), Decimal) else getattr(rule, f)) for f in RULE_FIELDS}


def rule_create(*, actor, name: str, kind: str, active: bool = True, threshold: int = 1,
                factor: Decimal = Decimal("2.00"), max_score: int = 2, now: datetime | None = None) -> AnomalyRule:
    """A manager adds an anomaly rule (issue 18 §4: "anomaly rules a manager tunes"); logged."""
    now = now or timezone.now()
    rule = AnomalyRule(name=name, kind=kind, active=active, threshold=threshold, factor=factor, max_score=max_score,
                       created_by=actor)
    rule.full_clean()
    with transaction.atomic():
        rule.save()
        AnomalyRuleEvent.objects.create(rule=rule, actor=actor, action="created", before=None,
                                        after=_snapshot(rule), created_at=now)
    return rule


def rule_update(*, rule: AnomalyRule, actor, now: datetime | None = None, **changes) -> AnomalyRule:
    """A manager tunes a rule: before → after recorded. Unknown fields are refused."""
    now = now or timezone.now()
    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"not a rule field: {sorted(unknown)}")
    with transaction.atomic():
        locked = AnomalyRule.objects.select_for_update().get(pk=rule.pk)
        before = _snapshot(locked)
        for f, v in changes.items():
            setattr(locked, f, v)
        locked.full_clean()
        after = _snapshot(locked)
        if after != before:
            locked.save()
            AnomalyRuleEvent.objects.create(
                rule=locked, actor=actor, action="changed",
                before={k: v for k, v in before.items() if after[k] != v},
                after={k: v for k, v in after.items() if before[k] != v}, created_at=now)
    return locked


# --- evaluation ----------------------------------------------------------------------------------------
def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _candidates(rules, *, now: datetime) -> list[tuple[AnomalyRule, int, dict]]:
    """(rule, person id, params) for every active rule that holds for a person today. Fixed queries:
    the people (1), staff_facts for today (STAFF_FACTS_QUERIES), the handling-time norms (1, only with a
    handling-time rule) and today's low answers per threshold (1, only with a low-score rule)."""
    from customers.selectors import contact_handling_by_person
    from followups.models import SurveyResponse

    today = local_today(now)
    start, end = local_day_bounds(today)
    User = get_user_model()
    people = {u.pk: u for u in User.objects.filter(is_active=True, groups__name__in=BOARD_ROLES).distinct()}
    if not people:
        return []
    ids = list(people)
    facts = staff_facts(user_ids=ids, start=start, end=end, now=now)
    kinds = {r.kind for r in rules}
    K = AnomalyRule.Kind
    norms = {}
    if K.HANDLING_TIME in kinds:
        norm_start = local_day_bounds(today - timedelta(days=norm_days()))[0]
        norms = contact_handling_by_person(start=norm_start, end=start, user_ids=ids)
    low = {}
    if K.LOW_SCORES in kinds:
        scores = sorted({r.max_score for r in rules if r.kind == K.LOW_SCORES})
        rows = (SurveyResponse.objects.filter(submitted_at__gte=start, submitted_at__lt=end, agent_id__in=ids)
                .values("agent_id").annotate(**{f"s{s}": Count("pk", filter=Q(overall__lte=s)) for s in scores})
                .order_by())
        low = {r["agent_id"]: r for r in rows}
    out = []
    for pid, user in people.items():
        f = facts[pid]
        who = user.get_full_name() or user.get_username()
        for rule in rules:
            params = None
            if rule.kind == K.HANDLING_TIME:
                norm = norms.get(pid)
                if (f.avg_handling_seconds is not None and f.contacts_handled >= rule.threshold and norm
                        and norm["timed"] and norm["seconds"] > 0):
                    norm_avg = norm["seconds"] / norm["timed"]
                    if f.avg_handling_seconds > float(rule.factor) * norm_avg:
                        params = {"today": _minutes(f.avg_handling_seconds), "norm": _minutes(norm_avg),
                                  "factor": str(rule.factor.normalize()), "days": norm_days(), "n": f.contacts_handled}
            elif rule.kind == K.LOW_SCORES:
                n = low.get(pid, {}).get(f"s{rule.max_score}", 0)
                if n >= max(rule.threshold, 1):
                    params = {"n": n, "score": rule.max_score}
            elif rule.kind == K.VALID_COMPLAINT:
                if f.valid_complaints >= max(rule.threshold, 1):
                    params = {"n": f.valid_complaints}
            elif rule.kind == K.SLA_AT_RISK:
                if f.sla_at_risk > rule.threshold:
                    params = {"n": f.sla_at_risk, "limit": rule.threshold}
            if params is not None:
                out.append((rule, pid, {"person": who, **params}))
    return out


def _recipients(person_ids) -> dict[int, list]:
    """Who hears about each person: their team's supervisor (active, not the person), else every active
    manager. Two queries."""
    from servicedesk.models import StaffProfile

    User = get_user_model()
    # Only a supervisor who can open the board the alert links to (team.supervisor accepts any user);
    # anyone else falls through to the managers.
    supervisors = {p.user_id: p.team.supervisor for p in StaffProfile.objects.filter(
        user_id__in=list(person_ids), team__supervisor__isnull=False, team__supervisor__is_active=True,
        team__supervisor__groups__name__in=[roles.SUPERVISOR, roles.MANAGER],
    ).select_related("team__supervisor").distinct()}
    managers = None
    out = {}
    for pid in person_ids:
        sup = supervisors.get(pid)
        if sup is not None and sup.pk != pid:
            out[pid] = [sup]
        else:
            if managers is None:
                managers = list(User.objects.filter(is_active=True, groups__name=roles.MANAGER).distinct())
            out[pid] = [m for m in managers if m.pk != pid]
    return out


def anomalies_evaluate(*, now: datetime | None = None) -> int:
    """Check every active anomaly rule for every agent and front-desk person today (local day) and ring
    the bell of the person's supervisor (their team's supervisor; every manager when there is none)
    ONCE per person per rule per day (issue 18 §4).

    Exactly once holds under concurrent runs: each run inserts its (rule, person, day) rows with ON
    CONFLICT DO NOTHING under its own run id, then notifies only for the rows carrying that id — a row
    another run inserted first is skipped by the unique constraint and never notified twice. A fixed
    number of queries whatever the number of people. Returns how many alerts this run fired."""
    from servicedesk.preferences import Note
    from servicedesk.services import notify_many

    now = now or timezone.now()
    rules = list(AnomalyRule.objects.filter(active=True))
    if not rules:
        return 0
    today = local_today(now)
    candidates = _candidates(rules, now=now)
    if not candidates:
        return 0
    run = uuid.uuid4()
    url = reverse("monitoring:board")
    with transaction.atomic():
        AlertFiring.objects.bulk_create(
            [AlertFiring(rule=rule, person_id=pid, day=today, fired_at=now, params=params, run=run)
             for rule, pid, params in candidates],
            ignore_conflicts=True,
        )
        mine = list(AlertFiring.objects.filter(run=run).select_related("rule"))
        if not mine:
            return 0
        recipients = _recipients({a.person_id for a in mine})
        notes = [
            Note(recipient=r, message=ALERT_MESSAGES[a.rule.kind], params=a.params, url=url,
                 kind="monitoring_alert", group=f"monitoring-alert-{a.pk}")
            for a in mine for r in recipients.get(a.person_id, [])
        ]
        notify_many(notes, email=True)  # the recipient's preference for the kind decides (bell by default)
    return len(mine)
