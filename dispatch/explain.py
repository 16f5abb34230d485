"""Render a DispatchDecision's structured explanation in the reader's language."""
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.timesince import timesince
from django.utils.translation import gettext as _, gettext_lazy

from .models import Level, ValueTier

REASONS = {
    "skill": gettext_lazy("lacks the required skill"),
    "region": gettext_lazy("does not cover the region"),
    "level": gettext_lazy("level not allowed for this job's value"),
    "on_leave": gettext_lazy("on leave that day"),
    "daily_cap": gettext_lazy("daily cap reached"),
    "weekly_cap": gettext_lazy("weekly cap reached"),
    "open_cap": gettext_lazy("open-jobs cap reached"),
    "declined_before": gettext_lazy("declined this job before"),
    "expired_before": gettext_lazy("let this job's offer expire before"),
    "cap_reached_meanwhile": gettext_lazy("reached a cap while the decision was made"),
}


def reason_label(code: str) -> str:
    return str(REASONS.get(code, code))


def _last_job(entry: dict, now) -> str:
    last = parse_datetime(entry["last"]) if entry.get("last") else None
    if last is None:
        return _("no job yet")
    return _("last job %(ago)s ago") % {"ago": timesince(last, now)}


def describe(entry: dict, now=None) -> str:
    """'Li Wei — 1 open job, 0 today, 1 this week, last job 3 days ago'."""
    now = now or timezone.now()
    return _("%(name)s — %(open)s open, %(today)s today, %(week)s this week, %(last)s") % {
        "name": entry["name"], "open": entry["open"], "today": entry["today"], "week": entry["week"],
        "last": _last_job(entry, now),
    }


def render(decision) -> dict:
    """{"summary": str, "chosen": str|None, "ranked": [str], "excluded": [(name, [labels])], ...}."""
    data = decision.explanation or {}
    now = decision.made_at
    chosen = data.get("chosen")
    caps = data.get("caps") or {}
    tier = data.get("tier")
    excluded = [(e["name"], [reason_label(r) for r in e.get("reasons", [])]) for e in data.get("excluded", [])]
    forced = data.get("forced")
    if forced:
        summary = _("Force-dispatched to %(name)s: %(reason)s") % {"name": chosen["name"], "reason": forced["reason"]}
        if forced.get("over"):
            summary += " (" + _("past: %(caps)s") % {"caps": ", ".join(reason_label(c) for c in forced["over"])} + ")"
    elif chosen:
        summary = _("Chosen: %(who)s") % {"who": describe(chosen, now)}
    else:
        summary = _("No eligible technician: the job waits on the dispatch board.")
    return {
        "summary": summary,
        "forced": bool(forced),
        "chosen": describe(chosen, now) if chosen else None,
        "ranked": [describe(e, now) for e in data.get("ranked", [])[1:]],
        "excluded": excluded,
        "tier": str(ValueTier(tier).label) if tier in ValueTier.values else "",
        "levels": [str(Level(lv).label) for lv in data.get("levels", []) if lv in Level.values],
        "caps": caps,
        "re_offer": data.get("re_offer", False),
    }
