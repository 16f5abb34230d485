"""Customer tiers as data (issue 17): the table read once per request, labels, choices, the default, checks.

Everything that shows a tier (lists, the customer page, SLA breakdowns, exports, CSAT by segment) asks
here for its name, so a page of 50 customers costs one query for the tiers, not 50 — and usually none:
the table is kept per thread across requests while a version token in the shared cache says no tier
changed (servicedesk.shared_memo: saving or deleting a tier anywhere sets a new token, so every process
re-reads the table at its next request).
"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from servicedesk.lookups import localized_name
from servicedesk.shared_memo import SharedMemo

VERSION_KEY = "customers:tiers:version"


def _load() -> dict:
    from .models import CustomerTier

    return {t.code: t for t in CustomerTier.objects.order_by("position", "code")}


TABLE = SharedMemo(VERSION_KEY, _load)
tiers_forget = TABLE.forget  # drop this thread's copy (tests)


def _rows() -> dict:
    return TABLE.get()


def tiers_all() -> list:
    """Every tier, retired ones included, in the manager's order."""
    return list(_rows().values())


def tier_get(code: str):
    return _rows().get(code)


def tier_label(code: str | None, *, language: str | None = None) -> str:
    """The tier's name in `language` (default: the active one); an unknown code shows as itself."""
    if not code:
        return ""
    tier = _rows().get(code)
    return localized_name(tier.name, tier.name_en, language=language) if tier else code


def tier_labels(*, language: str | None = None) -> dict[str, str]:
    """{code: name} for every tier, retired ones included (old rows still show their name)."""
    return {code: localized_name(t.name, t.name_en, language=language) for code, t in _rows().items()}


def tier_choices(*, kind: str | None = None, include: str | None = None, retired: bool = False) -> list[tuple[str, str]]:
    """(code, name) of the tiers to offer, in order: active ones for `kind` (None: any kind); `include`
    (a record's current tier) is kept even when retired or meant for the other kind, marked so;
    `retired=True` offers retired tiers too (filters of lists and reports, where old rows have them)."""
    choices = []
    for code, t in _rows().items():
        name = localized_name(t.name, t.name_en)
        fits = t.is_active and (kind is None or t.applies_to_kind(kind))
        if fits or (retired and not t.is_active and kind is None):
            choices.append((code, name if t.is_active else _("%(name)s (retired)") % {"name": name}))
        elif code == include:
            choices.append((code, name if t.is_active else _("%(name)s (retired)") % {"name": name}))
    if include and include not in _rows():
        choices.append((include, include))
    return choices


def tier_default_code(kind: str = "person") -> str:
    """The tier a new customer of `kind` gets: the manager's default tier when it applies to that kind,
    else the last active tier for that kind (the lowest in the manager's order), else "basic"."""
    rows = _rows()
    default = next((t for t in rows.values() if t.is_default and t.is_active), None)
    if default is not None and default.applies_to_kind(kind):
        return default.code
    fitting = [t for t in rows.values() if t.is_active and t.applies_to_kind(kind)]
    if fitting:
        return fitting[-1].code
    return "basic"


def plain_tier_codes() -> frozenset[str]:
    """The tiers that need no badge in a busy list: what a new customer gets by default (person or organisation)."""
    from .models import Customer

    return frozenset(tier_default_code(kind) for kind in Customer.Kind.values)


def tier_check(*, code: str, kind: str, current: str | None = None, current_kind: str | None = None) -> None:
    """Raise a ValidationError on ``tier`` unless `code` may be given to a customer of `kind`.

    A new assignment needs an existing, active tier meant for that kind. A customer who keeps the tier
    they have (`current`) keeps it even when it was retired since; if their kind changes, the tier must
    still be meant for the new kind."""
    tier = _rows().get(code)
    if tier is None:
        raise ValidationError({"tier": ValidationError(
            _("“%(code)s” is not a service tier. Choose one of the list."), code="unknown_tier", params={"code": code})})
    name = localized_name(tier.name, tier.name_en)
    keeping = current is not None and code == current
    if not tier.is_active and not keeping:
        raise ValidationError({"tier": ValidationError(
            _("The tier “%(name)s” is retired: choose an active tier."), code="retired_tier", params={"name": name})})
    if not tier.applies_to_kind(kind) and not (keeping and kind == current_kind):
        message = (_("The tier “%(name)s” is for organisations only.") if tier.applies_to == tier.AppliesTo.ORGANISATION
                   else _("The tier “%(name)s” is for people only."))
        raise ValidationError({"tier": ValidationError(message, code="tier_kind", params={"name": name})})
