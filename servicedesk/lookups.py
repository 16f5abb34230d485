"""Lookup data the department enters (regions, skills, fault causes, parts, teams, departments), in two languages.

Each lookup row has a Chinese name (the ``name`` column: required, and unique where names were unique
before) and an optional English name (``name_en``). ``display_name`` is what every page, form choice,
filter, report and export shows: the English name to a person reading English when there is one,
otherwise the Chinese name. The Chinese name stays in the ``name`` column so that code and data written
before (``region.name``, ``values("region__name")``, ``create(name=…)``) keep working and keep meaning
"the department's own name for it".
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import DurationField, Func, Q
from django.db.models.expressions import TemporalSubtraction
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def wants_english(language: str | None = None) -> bool:
    language = (language or get_language() or settings.LANGUAGE_CODE or "").lower()
    return not language.startswith("zh")


def localized_name(name_zh: str | None, name_en: str | None = "", *, language: str | None = None) -> str:
    """The name to show in `language` (default: the active one): English when wanted and given, else Chinese."""
    if name_en and wants_english(language):
        return name_en
    return name_zh or name_en or ""


def localized_name_expression(relation: str, *, language: str | None = None):
    """A database expression for ``localized_name`` of the lookup at ``relation`` (e.g. ``"team"``), for
    selectors that read plain values (``values_list``, streamed exports): no per-row query or Python pass."""
    from django.db.models import F, Value
    from django.db.models.functions import Coalesce, NullIf

    name = F(f"{relation}__name")
    if not wants_english(language):
        return name
    return Coalesce(NullIf(F(f"{relation}__name_en"), Value("")), name)


def is_ascii_name(name: str) -> bool:
    return name.isascii()


def split_legacy_name(name: str) -> tuple[str, str]:
    """(Chinese name, English name) for a name entered before lookups had two languages.

    A name with any non-ASCII character was written in Chinese: it stays the Chinese name and there is no
    English one (English readers see it until someone adds one). An all-ASCII name was written in English:
    it becomes the English name *and* stays in the Chinese column until a manager enters the Chinese,
    because the Chinese name is required and unique and blanking it would lose the only label Chinese
    readers have.
    """
    return (name, name) if is_ascii_name(name) else (name, "")


def copy_legacy_names(apps, app_label: str, model_names: list[str]) -> int:
    """Data migration step: fill name_en from each row's existing name (see split_legacy_name)."""
    changed = 0
    for model_name in model_names:
        model = apps.get_model(app_label, model_name)
        for pk, name in model.objects.filter(name_en="").values_list("pk", "name"):
            _zh, en = split_legacy_name(name)
            if en:
                changed += model.objects.filter(pk=pk).update(name_en=en)
    return changed


def english_name_field(max_length: int = 200) -> models.CharField:
    return models.CharField(
        _("English name"), max_length=max_length, blank=True,
        help_text=_("Shown to staff who use English. Leave empty to show the Chinese name."),
    )


class BilingualName:
    """Mixin for a lookup model with ``name`` (Chinese, required) and ``name_en`` (English, optional)."""

    @property
    def name_zh(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return localized_name(self.name, self.name_en)

    def __str__(self):
        return self.display_name


def unique_english_name(model_label: str) -> models.UniqueConstraint:
    """Two rows may not share an English name (empty ones excepted), as they may not share a Chinese one."""
    return models.UniqueConstraint(fields=["name_en"], condition=~Q(name_en=""), name=f"{model_label}_name_en_uniq")


def demo_lookup(model, *, name_zh: str, name_en: str, lookup: dict | None = None, defaults: dict | None = None):
    """get_or_create for the demo loader's own lookup rows, Chinese-first.

    Rows are found by `lookup` (e.g. the code) or by either name. A demo row an older loader created with its
    English name in the Chinese column gets its Chinese name; rows the department created are never touched.
    """
    qs = model.objects.filter(**lookup) if lookup else model.objects.filter(Q(name=name_zh) | Q(name_en=name_en) | Q(name=name_en))
    obj = qs.order_by("pk").first()
    if obj is None:
        return model.objects.create(name=name_zh, name_en=name_en, **(lookup or {}), **(defaults or {})), True
    changed = []
    if obj.name == name_en and not model.objects.filter(name=name_zh).exclude(pk=obj.pk).exists():
        obj.name = name_zh
        changed.append("name")
    if not obj.name_en and obj.name == name_zh:
        obj.name_en = name_en
        changed.append("name_en")
    if changed:
        obj.save(update_fields=changed)
    return obj, False


class Elapsed(Func):
    """end − start as a duration (issue 14). PostgreSQL subtracts natively. On SQLite Django calls
    its Python function django_timestamp_diff once per row (the monthly report's percentiles spent
    most of their time there); this computes the same microseconds in SQL, exactly: whole seconds
    from julianday() of the seconds part plus the stored fraction (Django writes 'YYYY-MM-DD HH:MM:SS[.ffffff]')."""

    arity = 2
    output_field = DurationField()

    def as_sql(self, compiler, connection, **extra_context):
        end, start = self.get_source_expressions()
        return compiler.compile(TemporalSubtraction(end, start))

    def as_sqlite(self, compiler, connection, **extra_context):
        end, start = self.get_source_expressions()
        end_sql, end_params = compiler.compile(end)
        start_sql, start_params = compiler.compile(start)
        # Whole seconds from julianday() of the seconds part (a double, exact once rounded: its error
        # is far below half a second; ~30 % cheaper than strftime('%%s') per row), then the fraction.
        sql = (f"(CAST(round((julianday(substr({end_sql}, 1, 19)) - julianday(substr({start_sql}, 1, 19)))"
               f" * 86400) AS INTEGER) * 1000000"
               f" + CAST(substr({end_sql}, 21, 6) AS INTEGER) - CAST(substr({start_sql}, 21, 6) AS INTEGER))")
        return sql, (*end_params, *start_params, *end_params, *start_params)
