"""Customer tiers as data (issue 17): the table read once per request, labels, choices, the default, checks.

Everything that shows a tier (lists, the customer page, SLA breakdowns, exports, CSAT by segment) asks
here for its name, so a page of 50 customers costs one query for the tiers, not 50 — and usually none:
the table is kept per thread across requests while a version token in the shared cache (Redis in
production) says no tier changed. Saving or deleting a tier anywhere sets a new token (at once and again
at commit), so every process re-reads the table at its next request. Without a usable cache the token is
unknown and each request reads the table afresh; workers and commands, which run no requests, re-read it
after ``MEMO_SECONDS``.
"""
from __future__ import annotations

import threading
import time
import uuid

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from servicedesk.lookups import localized_name

MEMO_SECONDS = 30

_memo = threading.local()


VERSION_KEY = "customers:tiers:version"


def tiers_forget(**_kwargs) -> None:
    """Drop this thread's copy of the table (tests; tiers_changed)."""
    _memo.rows = None


def _shared_version() -> str | None:
    """The shared token of the tiers table, set now if the cache has none; None when the cache fails."""
    from django.core.cache import cache

    try:
        version = cache.get(VERSION_KEY)
        if version is None:
            cache.add(VERSION_KEY, uuid.uuid4().hex, None)
            version = cache.get(VERSION_KEY)
        return version
    except Exception:  # noqa: BLE001 — a cache outage costs one query per request, never a stale name
        return None


def tiers_check(**_kwargs) -> None:
    """Request start: keep this thread's copy only while the shared token is the one it was read under."""
    if getattr(_memo, "rows", None) is None:
        return
    version = _shared_version()
    if version is None or version != getattr(_memo, "version", None):
        _memo.rows = None


def tiers_changed(**_kwargs) -> None:
    """A tier was saved or deleted: a new token for every process, now and once the transaction commits
    (a process reading between the two sees the old rows under the first token, then the second)."""
    from django.core.cache import cache
    from django.db import transaction

    def bump():
        try:
            cache.set(VERSION_KEY, uuid.uuid4().hex, None)
        except Exception:  # noqa: BLE001 — without the cache nobody keeps a copy across requests
            pass

    _memo.rows = None
    bump()
    transaction.on_commit(bump)


def _rows() -> dict:
    rows = getattr(_memo, "rows", None)
    if rows is not None and time.monotonic() - _memo.at < MEMO_SECONDS:
        return rows
    from .models import CustomerTier

    version = _shared_version()  # read before the rows: a change in between leaves a stale token, not stale rows
    rows = {t.code: t for t in CustomerTier.objects.order_by("position", "code")}
    _memo.rows, _memo.at, _memo.version = rows, time.monotonic(), version
    return rows


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
