"""Importing customers from a CSV or Excel file (issue 19 item 8).

1. Upload: the file is kept and its header row read (CSV in UTF-8 or GB18030 — what Chinese Excel saves —
   or .xlsx).
2. Map: each field of ours (name, phones, e-mail, address, region, tier, an asset, a service contract)
   to one of the file's columns; headers in Chinese or English are recognised and pre-selected.
3. Check (the dry run, in the background): every row is validated — name present, phones normalised
   (138 1234 5678, +86…, 010-…), region, tier and contract level known, dates readable — and compared
   with the customers on file (by phone) and with the rows above it in the file. Each problem is an
   ImportIssue with the row, the column and the reason. Nothing is written to the customers.
4. Import (in the background): batches of IMPORT_BATCH rows, each all-or-nothing in one transaction with
   the import's cursor; rows are checked again (a customer may have been added since the check); a batch
   the database refuses (a phone taken at that moment) is rolled back whole and its rows logged as not
   imported. Customers, phones, assets and contracts are bulk-inserted, with a "created" event each.
5. The log (every row not imported, with the reason) downloads as CSV.
"""
from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy, pgettext

from .models import (
    Asset, Customer, CustomerEvent, CustomerImport, CustomerPhone, ImportIssue, Region,
)

logger = logging.getLogger(__name__)
IMPORT_BATCH = 1000
MAX_ROWS = 200_000
MAX_BYTES = 40 * 1024 * 1024

# Our fields: key → (label, required, header names recognised (lower case)).
TARGETS: dict[str, tuple] = {
    "name": (gettext_lazy("Name"), True, ["name", "customer", "姓名", "客户", "客户名称", "名称", "单位名称"]),
    "phone1": (gettext_lazy("Phone"), True, ["phone", "mobile", "phone1", "电话", "手机", "手机号", "手机号码", "联系电话"]),
    "phone2": (gettext_lazy("Second phone"), False, ["phone2", "landline", "电话2", "备用电话", "座机", "固定电话"]),
    "email": (gettext_lazy("E-mail"), False, ["email", "e-mail", "邮箱", "电子邮箱"]),
    "address": (gettext_lazy("Address"), False, ["address", "地址", "住址", "联系地址"]),
    "region": (gettext_lazy("Region (code or name)"), False, ["region", "区域", "地区", "片区"]),
    "tier": (gettext_lazy("Service tier (code)"), False, ["tier", "等级", "客户等级", "服务等级"]),
    "kind": (gettext_lazy("Person or organisation"), False, ["kind", "type", "类型", "客户类型"]),
    "notes": (gettext_lazy("Notes"), False, ["notes", "note", "备注"]),
    "product": (gettext_lazy("Asset: product"), False, ["product", "产品", "产品名称"]),
    "model": (gettext_lazy("Asset: model"), False, ["model", "型号"]),
    "serial": (gettext_lazy("Asset: serial number"), False, ["serial", "serial number", "sn", "序列号", "机身号"]),
    "install_date": (gettext_lazy("Asset: install date"), False, ["install date", "installed", "安装日期"]),
    "warranty_end": (gettext_lazy("Asset: warranty end"), False, ["warranty end", "warranty", "保修截止", "保修到期", "保修期至"]),
    "contract_level": (gettext_lazy("Contract: level (code or name)"), False, ["contract level", "contract", "合同级别", "合同等级"]),
    "contract_start": (gettext_lazy("Contract: starts on"), False, ["contract start", "合同开始", "合同开始日期"]),
    "contract_end": (gettext_lazy("Contract: ends on"), False, ["contract end", "合同结束", "合同到期", "合同结束日期"]),
    "contract_price": (gettext_lazy("Contract: price"), False, ["contract price", "price", "合同金额", "金额"]),
}
KIND_WORDS = {"person": "person", "个人": "person", "organisation": "organisation", "organization": "organisation",
              "company": "organisation", "单位": "organisation", "企业": "organisation", "公司": "organisation"}


# --- reading the file ----------------------------------------------------------------------------------

def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel keeps 13812345678 as a number
    return str(value).strip()


def _text(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(_("The file is neither UTF-8 nor GB18030 text: save it as CSV (UTF-8) or .xlsx."),
                          code="encoding")


def read_rows(fileobj, name: str):
    """(line number, [cells]) for every line of the file, the header first (line 1). Empty lines skipped."""
    if name.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(fileobj, read_only=True, data_only=True)
        except Exception as exc:  # a broken or disguised file: the message says so, nothing else
            raise ValidationError(_("This is not a readable Excel (.xlsx) file."), code="xlsx") from exc
        sheet = wb.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell(v) for v in row]
            if any(cells):
                yield number, cells
        wb.close()
        return
    reader = csv.reader(io.StringIO(_text(fileobj.read())))
    for number, row in enumerate(reader, start=1):
        cells = [c.strip() for c in row]
        if any(cells):
            yield number, cells


def check_upload(f) -> None:
    name = (f.name or "").lower()
    if not (name.endswith(".csv") or name.endswith(".xlsx")):
        raise ValidationError(_("Upload a .csv or .xlsx file."), code="type")
    if f.size > MAX_BYTES:
        raise ValidationError(_("The file is larger than %(mb)s MB: split it."), code="size",
                              params={"mb": MAX_BYTES // (1024 * 1024)})
    head = f.read(4)
    f.seek(0)
    if name.endswith(".xlsx") and head[:2] != b"PK":
        raise ValidationError(_("This is not a readable Excel (.xlsx) file."), code="xlsx")


def guess_mapping(headers: list[str]) -> dict[str, int]:
    """Our field → the index of the file's column whose header names it (first match wins)."""
    lowered = [h.strip().lower() for h in headers]
    out: dict[str, int] = {}
    for key, (_label, _required, names) in TARGETS.items():
        for i, h in enumerate(lowered):
            if h in names and i not in out.values():
                out[key] = i
                break
    return out


def import_start(*, f, actor, now: datetime | None = None) -> CustomerImport:
    """Keep the uploaded file and read its header row."""
    check_upload(f)
    rows = read_rows(f, f.name)
    try:
        _line, headers = next(rows)
    except StopIteration:
        raise ValidationError(_("The file is empty."), code="empty")
    f.seek(0)
    imp = CustomerImport(original_name=f.name[:200], headers=headers[:100], created_by=actor,
                         created_at=now or timezone.now())
    imp.mapping = guess_mapping(imp.headers)
    imp.file.save(f.name, f, save=False)
    imp.save()
    return imp


# --- checking rows -------------------------------------------------------------------------------------

@dataclass
class Row:
    line: int
    values: dict = field(default_factory=dict)
    phones: list = field(default_factory=list)  # [(e164, national, label)]
    issues: list = field(default_factory=list)  # [(kind, column, message, existing_id)]


class _Lookups:
    """The managed lists a row is checked against, read once per run."""

    def __init__(self):
        from contracts.models import ContractLevel

        from .tiers import tiers_all

        self.regions = {}
        for r in Region.objects.all():
            for key in (r.code, r.name, getattr(r, "name_en", "") or ""):
                if key:
                    self.regions[key.strip().lower()] = r.pk
        self.tiers = {t.code for t in tiers_all()}
        self.levels = {}
        for lv in ContractLevel.objects.filter(active=True):
            for key in (lv.code, lv.name, getattr(lv, "name_en", "") or ""):
                if key:
                    self.levels[key.strip().lower()] = lv.pk


def _date(text: str):
    """A date as people write it (2026-03-01, 2026/3/1, 20260301), inside the department's date window."""
    from servicedesk.params import DATE_MAX, DATE_MIN

    text = text.strip().replace("/", "-").replace(".", "-")
    for fmt in ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y%m%d"):
        try:
            day = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        return day if DATE_MIN <= day <= DATE_MAX else None
    return None


def _check(line: int, cells: list[str], mapping: dict, look: _Lookups) -> Row:
    from .phones import normalise_phone
    from .tiers import tier_default_code

    def get(key):
        i = mapping.get(key)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    row = Row(line=line)
    err = lambda col, msg: row.issues.append((ImportIssue.Kind.ERROR, str(TARGETS[col][0]), msg, None))  # noqa: E731
    v = row.values
    v["name"] = get("name")[:200]
    if not v["name"]:
        err("name", _("The name is empty."))
    for key, label in (("phone1", CustomerPhone.Label.MOBILE), ("phone2", CustomerPhone.Label.OTHER)):
        raw = get(key)
        if not raw:
            if key == "phone1":
                err(key, _("The phone number is empty."))
            continue
        try:
            n = normalise_phone(raw)
        except ValidationError as exc:
            err(key, " ".join(exc.messages))
            continue
        if n.e164 not in [p[0] for p in row.phones]:
            label = CustomerPhone.Label.MOBILE if n.is_mobile else CustomerPhone.Label.LANDLINE
            row.phones.append((n.e164, n.national, label))
    v["email"] = get("email")[:254]
    if v["email"] and ("@" not in v["email"] or " " in v["email"]):
        err("email", _("“%(value)s” is not an e-mail address.") % {"value": v["email"]})
    v["address"], v["notes"] = get("address")[:300], get("notes")[:5000]
    kind = get("kind").lower()
    v["kind"] = KIND_WORDS.get(kind, "person") if kind else "person"
    if kind and kind not in KIND_WORDS:
        err("kind", _("“%(value)s” is neither a person nor an organisation.") % {"value": get("kind")})
    region = get("region")
    v["region_id"] = look.regions.get(region.lower()) if region else None
    if region and v["region_id"] is None:
        err("region", _("No region is called “%(value)s”.") % {"value": region})
    tier = get("tier").lower()
    v["tier"] = tier or tier_default_code(v["kind"])
    if tier and tier not in look.tiers:
        err("tier", _("No service tier has the code “%(value)s”.") % {"value": get("tier")})
    v["product"], v["model"], v["serial"] = get("product")[:120], get("model")[:120], get("serial")[:120]
    for key in ("install_date", "warranty_end", "contract_start", "contract_end"):
        raw = get(key)
        v[key] = _date(raw) if raw else None
        if raw and v[key] is None:
            err(key, _("“%(value)s” is not a date (write 2026-03-01).") % {"value": raw})
    if (v["model"] or v["serial"] or v["install_date"] or v["warranty_end"]) and not v["product"]:
        err("product", _("An asset needs its product."))
    if v["install_date"] and v["warranty_end"] and v["warranty_end"] < v["install_date"]:
        err("warranty_end", _("The warranty ends before the installation."))
    level = get("contract_level")
    v["level_id"] = look.levels.get(level.lower()) if level else None
    if level and v["level_id"] is None:
        err("contract_level", _("No contract level is called “%(value)s”.") % {"value": level})
    price = get("contract_price").replace(",", "").replace("¥", "").replace("￥", "")
    try:
        v["price"] = Decimal(price) if price else Decimal("0")
        if v["price"] < 0:
            raise InvalidOperation
    except InvalidOperation:
        err("contract_price", _("“%(value)s” is not an amount.") % {"value": get("contract_price")})
        v["price"] = Decimal("0")
    if level:
        if not (v["contract_start"] and v["contract_end"]):
            err("contract_start", _("A contract needs its start and end dates."))
        elif v["contract_end"] < v["contract_start"]:
            err("contract_end", _("The contract ends before it starts."))
    return row


def _against_file_and_database(rows: list[Row], seen: dict[str, int]) -> None:
    """Duplicates: a phone on a customer already on file, or on a row above in the file."""
    numbers = [p[0] for r in rows if not r.issues for p in r.phones]
    owners = dict(CustomerPhone.objects.filter(number__in=numbers).values_list("number", "customer_id"))
    from .phones import phone_display

    for r in rows:
        if r.issues:
            continue
        for e164, _national, _label in r.phones:
            if e164 in owners:
                r.issues.append((ImportIssue.Kind.DUPLICATE, str(TARGETS["phone1"][0]),
                                 _("%(phone)s is already on file (customer #%(id)s).") % {
                                     "phone": phone_display(e164), "id": owners[e164]}, owners[e164]))
                break
            if e164 in seen:
                r.issues.append((ImportIssue.Kind.DUPLICATE, str(TARGETS["phone1"][0]),
                                 _("%(phone)s is also on row %(row)s of this file.") % {
                                     "phone": phone_display(e164), "row": seen[e164]}, None))
                break
        if not r.issues:
            for e164, _n, _l in r.phones:
                seen[e164] = r.line


def _issues(imp: CustomerImport, rows: list[Row]) -> list[ImportIssue]:
    return [ImportIssue(customer_import=imp, row=r.line, kind=kind, column=col[:100], message=str(msg)[:300],
                        existing_id=existing)
            for r in rows for kind, col, msg, existing in r.issues]


def _batches(imp: CustomerImport, start_line: int = 0):
    """Lists of up to IMPORT_BATCH (line, cells) after the header, from the line after ``start_line``."""
    with imp.file.open("rb") as fh:
        rows = read_rows(fh, imp.original_name)
        next(rows, None)  # the header
        batch = []
        for count, (line, cells) in enumerate(rows, start=1):
            if count > MAX_ROWS:
                raise ValidationError(_("More than %(n)s rows: split the file."), code="too_many",
                                      params={"n": MAX_ROWS})
            if line <= start_line:
                continue
            batch.append((line, cells))
            if len(batch) >= IMPORT_BATCH:
                yield batch
                batch = []
        if batch:
            yield batch


def import_check(*, import_id: int) -> CustomerImport:
    """The dry run: every row checked and counted, issues recorded, nothing imported."""
    imp = CustomerImport.objects.get(pk=import_id)
    look, seen = _Lookups(), {}
    ImportIssue.objects.filter(customer_import=imp).delete()
    counts = {"total": 0, "valid": 0, "duplicates": 0, "invalid": 0}
    CustomerImport.objects.filter(pk=imp.pk).update(state=CustomerImport.State.CHECKING, checked=0,
                                                    touched_at=timezone.now())
    for batch in _batches(imp):
        rows = [_check(line, cells, imp.mapping, look) for line, cells in batch]
        _against_file_and_database(rows, seen)
        ImportIssue.objects.bulk_create(_issues(imp, rows), batch_size=1000)
        counts["total"] += len(rows)
        for r in rows:
            kinds = {k for k, *_rest in r.issues}
            if ImportIssue.Kind.ERROR in kinds:
                counts["invalid"] += 1
            elif kinds:
                counts["duplicates"] += 1
            else:
                counts["valid"] += 1
        CustomerImport.objects.filter(pk=imp.pk).update(checked=counts["total"], touched_at=timezone.now())
    CustomerImport.objects.filter(pk=imp.pk).update(state=CustomerImport.State.CHECKED, **counts,
                                                    touched_at=timezone.now())
    imp.refresh_from_db()
    return imp


# --- importing -----------------------------------------------------------------------------------------

def _insert(imp: CustomerImport, rows: list[Row], now: datetime) -> tuple[int, int]:
    """One batch's valid rows as customers, phones, assets, contracts and events (bulk inserts)."""
    from contracts.models import ServiceContract

    actor = imp.created_by
    customers = [Customer(kind=r.values["kind"], name=r.values["name"], email=r.values["email"],
                          address=r.values["address"], region_id=r.values["region_id"], tier=r.values["tier"],
                          notes=r.values["notes"], created_at=now, updated_at=now)
                 # First contact and owner stay empty: an imported customer was met before, by someone and
                 # somehow this file does not say; the "created" event records the import and its row.
                 for r in rows]
    Customer.objects.bulk_create(customers)
    phones, events, assets, contracts = [], [], [], []
    for r, c in zip(rows, customers):
        for i, (e164, national, label) in enumerate(r.phones):
            phones.append(CustomerPhone(customer=c, number=e164, national=national, label=label, is_primary=i == 0))
        events.append(CustomerEvent(customer=c, actor=actor, kind=CustomerEvent.Kind.CREATED,
                                    data={"channel": "import", "import": imp.pk, "row": r.line,
                                          "phones": [p[0] for p in r.phones]}))
        if r.values["product"]:
            assets.append(Asset(customer=c, product=r.values["product"], model=r.values["model"],
                                serial_number=r.values["serial"], install_date=r.values["install_date"],
                                warranty_end=r.values["warranty_end"], created_at=now, updated_at=now))
        if r.values["level_id"]:
            contracts.append(ServiceContract(customer=c, level_id=r.values["level_id"],
                                             start_date=r.values["contract_start"], end_date=r.values["contract_end"],
                                             price=r.values["price"], created_by=actor, created_at=now, updated_at=now))
    CustomerPhone.objects.bulk_create(phones)
    CustomerEvent.objects.bulk_create(events)
    Asset.objects.bulk_create(assets)
    ServiceContract.objects.bulk_create(contracts)
    return len(customers), len(assets)


def import_run(*, import_id: int, time_budget: float = 600.0) -> CustomerImport:
    """Import the checked file from its cursor. Safe to run twice at once and after a crash: each batch
    locks the import row and starts only at the cursor it finds."""
    import time

    started = time.monotonic()
    imp = CustomerImport.objects.get(pk=import_id)
    if imp.state == CustomerImport.State.DONE:
        return imp
    if imp.state == CustomerImport.State.CHECKED:
        with transaction.atomic():
            locked = CustomerImport.objects.select_for_update().get(pk=imp.pk)
            if locked.state == CustomerImport.State.CHECKED:
                ImportIssue.objects.filter(customer_import=locked).delete()  # the import's own outcome replaces them
                CustomerImport.objects.filter(pk=imp.pk).update(state=CustomerImport.State.IMPORTING, position=0,
                                                                touched_at=timezone.now())
    imp.refresh_from_db()
    look, seen = _Lookups(), {}
    for batch in _batches(imp, start_line=0):
        last_line = batch[-1][0]
        if last_line <= imp.position:
            # rows imported before a crash: only remember their phones for the in-file duplicate check
            continue
        rows = [_check(line, cells, imp.mapping, look) for line, cells in batch if line > imp.position]
        _against_file_and_database(rows, seen)
        valid = [r for r in rows if not r.issues]
        now = timezone.now()
        try:
            with transaction.atomic():
                locked = CustomerImport.objects.select_for_update().get(pk=imp.pk)
                if locked.position != imp.position:  # another worker did this batch
                    imp = locked
                    continue
                made, assets = _insert(imp, valid, now)
                ImportIssue.objects.bulk_create(_issues(imp, rows), batch_size=1000)
                CustomerImport.objects.filter(pk=imp.pk).update(
                    position=last_line, created_customers=locked.created_customers + made,
                    created_assets=locked.created_assets + assets, touched_at=now)
        except IntegrityError as exc:
            # All or nothing: a phone taken at this moment (or any refusal) rolls the batch back whole.
            logger.warning("import %s: batch ending at line %s rolled back: %s", imp.pk, last_line, exc)
            with transaction.atomic():
                locked = CustomerImport.objects.select_for_update().get(pk=imp.pk)
                if locked.position == imp.position:
                    failed = [ImportIssue(customer_import=imp, row=r.line, kind=ImportIssue.Kind.FAILED,
                                          message=_("Not imported: the batch of rows %(first)s–%(last)s was refused "
                                                    "by the database (a phone number was taken meanwhile); "
                                                    "import these rows again.") % {
                                              "first": rows[0].line, "last": last_line}) for r in valid]
                    ImportIssue.objects.bulk_create(failed + _issues(imp, rows), batch_size=1000)
                    CustomerImport.objects.filter(pk=imp.pk).update(position=last_line,
                                                                    failed=locked.failed + len(valid),
                                                                    touched_at=now)
        imp.refresh_from_db()
        if time.monotonic() - started > time_budget:
            return imp  # the resume sweep continues from the cursor
    CustomerImport.objects.filter(pk=imp.pk).update(state=CustomerImport.State.DONE, finished_at=timezone.now(),
                                                    touched_at=timezone.now())
    imp.refresh_from_db()
    return imp


def import_check_queue(*, imp: CustomerImport, mapping: dict) -> None:
    """Save the column mapping and queue the dry run (after commit: nothing queued for a rolled-back save)."""
    from servicedesk.queue import enqueue_on_commit

    from .tasks import import_check_task

    with transaction.atomic():
        CustomerImport.objects.filter(pk=imp.pk).update(mapping=mapping, state=CustomerImport.State.CHECKING,
                                                        checked=0, touched_at=timezone.now())
        enqueue_on_commit(import_check_task, imp.pk)


def import_run_queue(*, imp: CustomerImport) -> None:
    """Queue the import of a checked file; refused when no row can be imported."""
    from servicedesk.queue import enqueue_on_commit

    from .tasks import import_run_task

    if imp.state != CustomerImport.State.CHECKED or not imp.valid:
        raise ValidationError(_("No row can be imported: correct the file and upload it again."), code="nothing")
    with transaction.atomic():
        CustomerImport.objects.filter(pk=imp.pk).update(touched_at=timezone.now())
        enqueue_on_commit(import_run_task, imp.pk)


def imports_resume(*, stale_seconds: int = 120) -> int:
    """Beat's safety net: continue checks and imports whose task was never queued or died with its worker."""
    from datetime import timedelta

    from .tasks import import_check_task, import_run_task

    cut = timezone.now() - timedelta(seconds=stale_seconds)
    n = 0
    for imp in CustomerImport.objects.filter(state__in=[CustomerImport.State.CHECKING, CustomerImport.State.IMPORTING],
                                             touched_at__lt=cut):
        (import_check_task if imp.state == CustomerImport.State.CHECKING else import_run_task).delay(imp.pk)
        n += 1
    return n


def import_log_headers() -> list[str]:
    return [_("Row"), pgettext("import log", "Outcome"), _("Column"), _("Reason"), _("Customer on file")]


def import_log_rows(imp: CustomerImport):
    """The downloadable log: every row not imported (or not yet: after a check) with the reason, then the
    totals."""
    for issue in imp.issues.order_by("row", "id").iterator(chunk_size=2000):
        yield [issue.row, issue.get_kind_display(), issue.column, issue.message, issue.existing_id or ""]
    yield []
    yield ["", _("File"), imp.original_name]
    yield ["", _("Rows"), imp.total]
    yield ["", _("Customers created"), imp.created_customers]
    yield ["", _("Assets created"), imp.created_assets]
