"""A person's requests about their own data (issue 19 item 11, PIPL §44–47): a copy of everything held
about them, and erasure.

What is "about them" is found generically, so an app added later is covered without a change here:
the customer row, every row that points at it (phones, contacts, assets, tickets, callbacks, surveys,
contracts, the access log…), every row that points at those (replies, events, attachments, SLA clocks,
work orders…) and one level further (a work order's photos, offers, signatures). ``related_rows`` walks
those foreign keys.

Erasure anonymises; it deletes no fact that a figure counts. Tickets, clocks, work orders, surveys and
callbacks stay, so every report gives the same numbers afterwards. What goes:
- the customer's own personal fields (name, e-mail, address, notes, care date) and phone rows;
- wherever the person's phone numbers (in any written form) or e-mail appear — in any text or JSON
  column of any table, the outbox's messages and other customers' tickets included — they become ``***``;
- in the rows about them, and in any row that holds one of their numbers or their e-mail (an SMS sent to
  them), their name, address and callers' names too — a name alone is not unique: another customer
  called 王芳 keeps hers;
- files in the rows about them (attachments, photos, signatures, e-mails) are deleted from storage.
The erasure is logged (SubjectRequest) with counts per table and column — never the erased values.
"""
from __future__ import annotations

import io
import json
import re
import zipfile
from collections import defaultdict
from datetime import datetime

from django.apps import apps
from django.core import serializers
from django.db import models, transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from .models import Customer, CustomerPhone

ERASED = "***"
DEPTH = 3
# Tables that are not the department's records of people (Django's own bookkeeping).
SKIP_APPS = {"contenttypes", "sessions", "migrations", "admin", "auth", "axes", "django_celery_beat",
             "django_celery_results"}
TEXT_FIELDS = (models.CharField, models.TextField)  # EmailField, SlugField, URLField are CharFields


def _models():
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label in SKIP_APPS or not model._meta.managed or model._meta.proxy:
            continue
        yield model


def _fks_to(target) -> list[tuple[type, models.Field]]:
    out = []
    for model in _models():
        for f in model._meta.get_fields(include_hidden=True):
            if (f.concrete and f.is_relation and (f.many_to_one or f.one_to_one) and f.remote_field is not None
                    and f.remote_field.model is target):
                out.append((model, f))
    return out


def person_records(customer: Customer) -> list[int]:
    """The customer and every duplicate merged into them (tombstones): one person, several rows."""
    return [customer.pk, *Customer.objects.filter(merged_into=customer).values_list("pk", flat=True)]


def related_rows(customer: Customer) -> dict[type, set]:
    """{model: {pk}} of every row about this customer, up to DEPTH foreign keys away (the customer row and
    its merged duplicates included). One query per foreign key per level."""
    return rows_under(Customer, person_records(customer), depth=DEPTH)


def rows_under(root_model, root_pks, *, depth: int) -> dict[type, set]:
    """{model: {pk}}: the root rows and every row pointing at them, up to ``depth`` foreign keys away."""
    found: dict[type, set] = defaultdict(set)
    found[root_model] |= set(root_pks)
    frontier = {root_model: set(root_pks)}
    for _level in range(depth):
        nxt: dict[type, set] = defaultdict(set)
        for target, pks in frontier.items():
            for model, f in _fks_to(target):
                if model is Customer or (model is root_model and target is root_model):
                    continue  # merged_into: other customers (tickets) are not this person (ticket)
                for chunk in _chunks(sorted(pks)):
                    ids = set(model._base_manager.filter(**{f"{f.attname}__in": chunk}).values_list("pk", flat=True))
                    new = ids - found[model]
                    if new:
                        found[model] |= new
                        nxt[model] |= new
        frontier = nxt
        if not frontier:
            break
    return dict(found)


def _chunks(seq, size=900):
    for i in range(0, len(seq), size):
        yield seq[i:i + size]


# Phone numbers as people write them in free text: mobiles (138 1234 5678, +86 138…) and landlines (010-6275 0817).
PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[ -]?)?(?:1[3-9]\d[ -]?\d{4}[ -]?\d{4}|0\d{2,3}[ -]?\d{3,4}[ -]?\d{4})(?!\d)")


def _phone_forms(raw: str) -> set[str]:
    """Every written form of one phone number (E.164, national digits, as displayed, with - or no spaces)."""
    from django.core.exceptions import ValidationError

    from .phones import normalise_phone, phone_display

    try:
        n = normalise_phone(raw)
    except ValidationError:
        return set()
    shown = phone_display(n.e164)
    forms = {n.e164, n.national, shown, shown.replace(" ", ""), shown.replace(" ", "-")}
    if n.national.startswith("1") and len(n.national) == 11:
        forms.add(f"{n.national[:3]}-{n.national[3:7]}-{n.national[7:]}")
    return forms


def _harvest_phones(related: dict[type, set]) -> set[str]:
    """Phone numbers written anywhere in the rows about the person — numbers they had before (the customer's
    history of changes), callers' numbers, numbers typed into a description — in every written form."""
    found = set()
    for model, pks in related.items():
        cols = _text_columns(model) + _json_columns(model)
        if not cols:
            continue
        for chunk in _chunks(sorted(pks)):
            for row in model._base_manager.filter(pk__in=chunk).values_list(*[f.attname for f in cols]):
                for value in row:
                    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                    for m in PHONE_IN_TEXT.finditer(text or ""):
                        found |= _phone_forms(m.group(0))
    return found


def identifiers(customer: Customer, related: dict[type, set] | None = None) -> tuple[list[str], list[str]]:
    """(unique, personal): what identifies only this person anywhere — phone numbers in every written form
    (today's and those in the rows about them), the e-mail — and what is theirs only in the rows about
    them — the name, the address, callers' names."""
    unique = set()
    for p in CustomerPhone.objects.filter(customer=customer):
        unique |= _phone_forms(p.number)
    if related:
        unique |= _harvest_phones(related)
    records = list(Customer.objects.filter(pk__in=person_records(customer)).values_list("name", "email", "address"))
    unique |= {email for _n, email, _a in records if email}
    personal = {customer.name, customer.address, *(n for n, _e, _a in records), *(a for _n, _e, a in records)}
    from .models import Contact

    personal |= set(Contact.objects.filter(customer=customer).exclude(caller_name="")
                    .values_list("caller_name", flat=True))
    for number in Contact.objects.filter(customer=customer).exclude(caller_phone="").values_list("caller_phone", flat=True):
        unique |= _phone_forms(number) or {number}
    unique = sorted({u for u in unique if u and len(u) >= 5}, key=len, reverse=True)
    personal = sorted({p for p in personal if p and len(p.strip()) >= 2}, key=len, reverse=True)
    return unique, personal


def _replace(text: str, terms: list[str]) -> str:
    for term in terms:
        if term in text:
            text = text.replace(term, ERASED)
        elif "@" in term:
            text = re.sub(re.escape(term), ERASED, text, flags=re.IGNORECASE)
    return text


def _replace_json(value, terms):
    if isinstance(value, str):
        return _replace(value, terms)
    if isinstance(value, list):
        return [_replace_json(v, terms) for v in value]
    if isinstance(value, dict):
        return {k: _replace_json(v, terms) for k, v in value.items()}
    return value


def _text_columns(model):
    return [f for f in model._meta.concrete_fields
            if isinstance(f, TEXT_FIELDS) and not f.choices and not f.primary_key and not f.is_relation]


def _json_columns(model):
    return [f for f in model._meta.concrete_fields if isinstance(f, models.JSONField)]


def _file_columns(model):
    return [f for f in model._meta.concrete_fields if isinstance(f, models.FileField)]


def _json_needles(term: str) -> list[str]:
    """A term as it may sit in a JSON column's text: as is, and with non-ASCII escaped (SQLite)."""
    escaped = json.dumps(term)[1:-1]
    return [term] if escaped == term else [term, escaped]


def _plan(customer: Customer, related: dict[type, set], *, everywhere: bool = True):
    """Every change the erasure makes: [(model, pk, {field: new value})], files to delete, counts.
    ``everywhere=False`` keeps to the rows in ``related`` (retention: one old ticket's rows)."""
    unique, personal = identifiers(customer, related)
    return plan_changes(related, unique, personal, everywhere=everywhere)


def plan_changes(related: dict[type, set], unique: list[str], personal: list[str], *, everywhere: bool):
    changes = []
    counts: dict[str, int] = defaultdict(int)
    files = []
    for model in _models():
        if model is CustomerPhone:
            continue  # deleted whole (their numbers are unique: no two rows may read ***)
        text_cols, json_cols = _text_columns(model), _json_columns(model)
        if not text_cols and not json_cols and not _file_columns(model):
            continue
        mine = related.get(model, set())
        if not everywhere and not mine:
            continue
        rows: dict = {}
        # Anywhere: rows holding one of the person's unique identifiers (one scan per table).
        cond = Q()
        qs = model._base_manager.all()
        annotations = {}
        for f in text_cols:
            for term in unique:
                cond |= Q(**{f"{f.attname}__contains": term})
        for f in json_cols:
            alias = f"_sd_text_{f.attname}"
            annotations[alias] = Cast(f.attname, TextField())
            for term in unique:
                for needle in _json_needles(term):
                    cond |= Q(**{f"{alias}__contains": needle})
        if cond and everywhere:
            for obj in qs.annotate(**annotations).filter(cond).iterator(chunk_size=500):
                rows[obj.pk] = obj
        holding = set(rows)  # rows that hold one of the person's numbers or e-mail: about them too
        for chunk in _chunks(sorted(mine - holding)):
            for obj in model._base_manager.filter(pk__in=chunk).iterator(chunk_size=500):
                rows[obj.pk] = obj
        for pk, obj in rows.items():
            terms = unique + personal  # in a row about them, or one that holds their number or e-mail
            new = {}
            for f in text_cols:
                old = getattr(obj, f.attname)
                if isinstance(old, str) and old:
                    value = _replace(old, terms)
                    if value != old:
                        new[f.attname] = value
            for f in json_cols:
                old = getattr(obj, f.attname)
                value = _replace_json(old, terms)
                if value != old:
                    new[f.attname] = value
            if pk in mine:
                for f in _file_columns(model):
                    name = getattr(obj, f.attname)
                    if name:
                        files.append((f.storage, str(name)))
                        new[f.attname] = ""
            if new:
                changes.append((model, pk, new))
                for field in new:
                    counts[f"{model._meta.label}.{field}"] += 1
    return changes, files, dict(counts)


PERSONAL_FIELDS = {"email": "", "address": "", "notes": "", "care_date": None, "care_greetings": False}


def subject_erase(*, customer: Customer, actor, reason: str, dry_run: bool = True, now: datetime | None = None) -> dict:
    """Erase a person's data on their request (see the module's docstring). ``dry_run`` reports the same
    counts and changes nothing. Returns {"fields": {table.column: rows}, "files": n, "phones": n}."""
    from .models import SubjectRequest

    now = now or timezone.now()
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        related = related_rows(customer)
        changes, files, counts = _plan(customer, related)
        phones = CustomerPhone.objects.filter(customer=customer).count()
        summary = {"fields": counts, "files": len(files), "phones": phones,
                   "rows_about": {m._meta.label: len(p) for m, p in related.items()}}
        if dry_run:
            return summary
        for model, pk, new in changes:
            if model is Customer and pk in set(person_records(customer)):
                continue  # written below, with the marker
            model._base_manager.filter(pk=pk).update(**new)
        CustomerPhone.objects.filter(customer=customer).delete()
        Customer.objects.filter(pk=customer.pk).update(
            name=f"{ERASED} #{customer.pk}", erased_at=now, updated_at=now, **PERSONAL_FIELDS)
        for pk in person_records(customer)[1:]:  # merged duplicates: the same person's older records
            Customer.objects.filter(pk=pk).update(name=f"{ERASED} #{pk}", erased_at=now, updated_at=now,
                                                  **PERSONAL_FIELDS)
        SubjectRequest.objects.create(customer=customer, kind=SubjectRequest.Kind.ERASE, actor=actor, at=now,
                                      reason=reason.strip()[:500], summary=summary)

        def _delete_files():
            for storage, name in files:
                try:
                    storage.delete(name)
                except OSError:  # already gone: nothing of it left to erase
                    pass

        transaction.on_commit(_delete_files)
    return summary


def subject_export(*, customer: Customer, actor, now: datetime | None = None) -> bytes:
    """Everything held about this person as a .zip: one JSON file per kind of record, and their files.
    Logged (SubjectRequest and the access log)."""
    from .models import SubjectRequest
    from .privacy import record_export

    now = now or timezone.now()
    related = related_rows(customer)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        index = {"customer": customer.pk, "exported_at": now.isoformat(), "files": {}}
        for model, pks in sorted(related.items(), key=lambda kv: kv[0]._meta.label):
            objs = []
            for chunk in _chunks(sorted(pks)):
                objs += list(model._base_manager.filter(pk__in=chunk).order_by("pk"))
            zf.writestr(f"{model._meta.label}.json",
                        serializers.serialize("json", objs, indent=1, ensure_ascii=False))
            index["files"][model._meta.label] = len(objs)
            for f in _file_columns(model):
                for obj in objs:
                    name = getattr(obj, f.attname)
                    if not name:
                        continue
                    try:
                        with f.storage.open(str(name), "rb") as fh:
                            zf.writestr(f"files/{name}", fh.read())
                    except OSError:
                        index.setdefault("missing_files", []).append(str(name))
        zf.writestr("index.json", json.dumps(index, ensure_ascii=False, indent=1))
    SubjectRequest.objects.create(customer=customer, kind=SubjectRequest.Kind.EXPORT, actor=actor, at=now,
                                  summary={"tables": index["files"]})
    record_export(user=actor, customer_ids=[customer.pk], place="subject_request")
    return buf.getvalue()
