"""Checks every Chinese catalogue entry must pass (run by ``manage.py i18n_check`` and the test suite).

A translation that drops or renames a placeholder raises KeyError (or shows a raw ``%(name)s``) only when
that message is shown; an entry translated twice differently in two apps' catalogues silently loses one
translation, because Django merges every catalogue into one table keyed by (context, msgid). Both are
found here, before a person meets them.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path

import polib

# %(name)s / %(n)d / %s / %d (not %%), and str.format fields {0} / {name} (not {{ }}).
_PERCENT = re.compile(r"%(?:\((?P<name>[^)]+)\))?[#0 +-]*\d*(?:\.\d+)?(?P<conv>[sdifrxXeEgGc])")
_BRACE = re.compile(r"(?<!\{)\{(?P<field>[A-Za-z_0-9]*)(?:![rsa])?(?::[^{}]*)?\}(?!\})")
_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")
# Entries whose Chinese is rightly the same Latin text (a file format's name).
LATIN_ALLOWED = {"CSV"}


def placeholders(text: str) -> Counter:
    """The placeholders of a message, as a multiset: ``%(name)s`` and ``{name}`` by name, bare ``%s``/``{}`` by kind."""
    found: Counter = Counter()
    for m in _PERCENT.finditer(text.replace("%%", "")):
        found[f"%({m['name']}){m['conv']}" if m["name"] else f"%{m['conv']}"] += 1
    for m in _BRACE.finditer(text):
        found["{" + m["field"] + "}"] += 1
    return found


def entry_problems(entry: polib.POEntry) -> list[str]:
    """What is wrong with one catalogue entry: empty, fuzzy, placeholders that differ, English left."""
    label = repr(entry.msgid) + (f" (context {entry.msgctxt!r})" if entry.msgctxt else "")
    if entry.obsolete:
        return []
    problems = []
    if entry.msgid_plural:
        forms = [entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural)] if entry.msgstr_plural else []
        sources = [entry.msgid, entry.msgid_plural]
    else:
        forms = [entry.msgstr]
        sources = [entry.msgid]
    if not forms or any(not f.strip() for f in forms):
        problems.append(f"untranslated: {label}")
    if "fuzzy" in entry.flags:
        problems.append(f"fuzzy: {label}")
    wanted = [placeholders(s) for s in sources]
    for form in forms:
        if not form.strip():
            continue
        got = placeholders(form)
        # A Chinese form serves singular and plural alike: it must match one of them exactly.
        if got not in wanted:
            problems.append(f"placeholders differ: {label}: {dict(got)} in the translation, {dict(wanted[-1])} in the source")
        if not _CJK.search(form) and entry.msgid not in LATIN_ALLOWED and re.search(r"[A-Za-z]{2}", form):
            problems.append(f"not translated into Chinese: {label}: {form!r}")
    return problems


def conflicting_entries(paths: list[Path]) -> list[str]:
    """(context, msgid) pairs translated differently in two catalogues: Django keeps only one of them."""
    seen: dict[tuple, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in paths:
        for entry in polib.pofile(str(path)):
            if entry.obsolete or not entry.msgstr:
                continue
            seen[(entry.msgctxt, entry.msgid)][entry.msgstr].append(str(path))
    problems = []
    for (ctx, msgid), variants in sorted(seen.items(), key=str):
        if len(variants) > 1:
            where = "; ".join(f"{msgstr!r} in {', '.join(p)}" for msgstr, p in variants.items())
            hint = "give each use a context (pgettext / {% translate … context … %}) or one translation"
            problems.append(f"translated differently: {msgid!r} (context {ctx!r}): {where} — {hint}")
    return problems
