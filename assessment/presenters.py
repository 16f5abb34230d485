"""How a breakdown and the objective facts read on a page (display only: the rules are in selectors)."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from servicedesk.lookups import localized_name

from .models import FACT_CHOICES
from .selectors import Breakdown, cycle_period


def person_name(user) -> str:
    return user.get_full_name() or user.get_username()


def _num(value: Decimal) -> str:
    text = f"{value:.2f}"
    return text[:-3] if text.endswith(".00") else text


def breakdown_lines(b: Breakdown, *, result=None) -> list[dict]:
    """The score line by line: each evaluator kind, then deductions, adjustments and the total."""
    lines = []
    for k in b.kinds:
        label = localized_name(k.name, k.name_en)
        if k.missing:
            detail = _("missing: %(in)s of %(expected)s forms in — counts 0 of %(weight)s") % {
                "in": k.forms_in, "expected": k.forms_expected, "weight": _num(k.weight)}
        else:
            detail = _("%(avg)s / %(max)s × %(weight)s (average of %(in)s of %(expected)s forms)") % {
                "avg": _num(k.average), "max": b.form_max, "weight": _num(k.weight), "in": k.forms_in,
                "expected": k.forms_expected}
        lines.append({"label": label, "detail": detail, "points": k.points, "missing": k.missing})
    lines.append({"label": _("Valid complaints"),
                  "detail": _("%(n)s × %(each)s points") % {"n": b.complaints, "each": _num(b.complaint_points)},
                  "points": -b.complaint_deduction})
    lines.append({"label": _("Demerit slips"), "detail": "", "points": -b.demerits})
    lines.append({"label": _("Quality inspection"), "detail": "", "points": -b.qa})
    adjustments = (result.score - result.computed_score) if result is not None else b.adjustments
    if adjustments:
        lines.append({"label": _("Adjustments after closing"), "detail": "", "points": adjustments})
    return lines


FACT_LABELS = dict(FACT_CHOICES)


@dataclass
class Facts:
    rows: list[tuple[str, str]] = field(default_factory=list)
    by_field: dict[str, str] = field(default_factory=dict)


def _fact_text(name: str, value) -> str | None:
    if value is None:
        return None
    if name == "avg_handling_seconds":
        minutes = float(value) / 60
        return _("%(n).1f min") % {"n": minutes}
    if name in ("first_response_compliance", "callbacks_on_time", "first_contact_resolution"):
        return f"{float(value):.0f}%"
    if name == "csat":
        return f"{float(value):.2f}"
    return str(value)


def facts_for(*, cycle, person) -> Facts:
    """What the system knows about the person's month (monitoring.selectors.staff_facts): shown to the
    evaluator beside the items as suggestions, never as scores. An empty result shows nothing."""
    from monitoring.selectors import staff_facts

    period = cycle_period(cycle)
    found = staff_facts(user_ids=[person.pk], start=period.start, end=period.end).get(person.pk)
    facts = Facts()
    if found is None:
        return facts
    for name, label in FACT_CHOICES:
        if not name:
            continue
        text = _fact_text(name, getattr(found, name, None))
        if text is None:
            continue
        facts.rows.append((str(label), text))
        facts.by_field[name] = f"{label}: {text}"
    return facts
