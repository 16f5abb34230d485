"""Pages: per-role access, htmx partial, fixed query counts, exports and their permissions."""
import csv
import io
from datetime import date

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports import selectors
from reports.models import ReportExport, ReportExportDownload
from reports.periods import period_containing
from servicedesk import roles

from .conftest import L

pytestmark = pytest.mark.django_db
NOV = {"period": "month", "date": "2026-11-01"}

PAGES = ["/reports/", "/reports/print/", "/reports/faults/?cause=1", "/reports/exports/", "/reports/subscriptions/"]
# role → expected status per page (in PAGES order); None = anonymous.
MATRIX = {
    None: [302, 302, 302, 302, 302],
    "frontdesk": [403, 403, 403, 403, 403],
    "agent": [403, 403, 403, 403, 403],
    "technician": [403, 403, 403, 403, 403],
    "outsider": [403, 403, 403, 403, 403],
    "supervisor": [200, 200, 200, 200, 403],
    "manager": [200, 200, 200, 200, 200],
}


@pytest.mark.parametrize("role", list(MATRIX))
def test_permission_matrix(client_for, role):
    client = client_for(role)
    got = [client.get(url).status_code for url in PAGES]
    assert got == MATRIX[role]


def test_nav_link_only_for_report_readers(client_for):
    assert b'href="/reports/"' in client_for("supervisor").get("/notifications/").content
    assert b'href="/reports/"' not in client_for("agent").get("/notifications/").content


def test_htmx_switch_returns_only_the_report(client_for):
    r = client_for("supervisor").get("/reports/", {"period": "week", "date": "2026-11-18"}, HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert r.status_code == 200 and body.lstrip().startswith('<div id="report"')
    assert "<nav" not in body and "16" in body  # week of Monday 16 November


def test_bad_input_falls_back_without_error(client_for):
    c = client_for("manager")
    assert c.get("/reports/", {"period": "custom", "date": "2026-11-10", "end": "2026-11-01"}).status_code == 200
    assert c.get("/reports/", {"period": "nonsense", "date": "x"}).status_code == 200
    assert c.get("/reports/faults/", {"cause": "abc"}).status_code == 404


def _count(fn, **kw):
    with CaptureQueriesContext(connection) as ctx:
        fn(**kw)
    return len(ctx.captured_queries)


# sla: the percentiles (PostgreSQL: 2 queries from the tickets' duration counts; SQLite: 4, one per figure pair) +
# compliance (sla.selectors.compliance_cells: the daily rollup + the running clocks past their deadline not yet
# swept), for this period and the previous one together. tickets: the flows and both backlogs from the hourly
# rollup (a month in Asia/Shanghai is on whole UTC hours). contacts: PostgreSQL reads the contacts' hourly counts.
SECTION_BUDGET = {"contacts": 1 if connection.vendor == "postgresql" else 4, "tickets": 2, "sla": 4 if connection.vendor == "postgresql" else 6, "complaints": 1,
                  "callbacks": 2, "surveys": 3,
                  "technicians": 5, "faults": 2, "staff": 4, "improvement": 3, "first_inquiry": 1}


def _more_data(month_data):
    """Many more rows of every kind: the query counts must not move."""
    from customers.models import Asset, Contact
    from tickets.models import FaultCause, Ticket

    t0 = month_data.tickets[0]
    causes = [FaultCause.objects.create(name=f"Cause {i}", code=f"c{i}") for i in range(12)]
    assets = [Asset.objects.create(customer=month_data.customer, product="Heater", model=f"H-{i}") for i in range(12)]
    Ticket.objects.bulk_create([
        Ticket(number=f"X-{i}", kind="repair", priority=i % 4, status="resolved", customer=month_data.customer,
               asset=assets[i % 12], subject="x", created_by=t0.created_by, created_at=L(11, 1 + i % 28, 9),
               first_response_at=L(11, 1 + i % 28, 10), resolved_at=L(11, 1 + i % 28, 12), fault_cause=causes[i % 12])
        for i in range(60)])
    Contact.objects.bulk_create([
        Contact(customer=month_data.customer, channel="web", handled_by=t0.created_by, started_at=L(11, 5, i % 24))
        for i in range(48)])


@pytest.mark.parametrize("more", [False, True], ids=["small", "larger"])
def test_each_section_runs_a_fixed_number_of_queries(month_data, more, django_assert_max_num_queries):
    if more:
        _more_data(month_data)
    period = period_containing("month", date(2026, 11, 1))
    for key, fn in selectors.SECTION_FUNCS.items():
        with django_assert_max_num_queries(SECTION_BUDGET[key]):
            fn(period=period)
    assert _count(selectors.report, period=period) <= sum(SECTION_BUDGET.values())


@pytest.mark.parametrize("more", [False, True], ids=["small", "larger"])
def test_report_page_query_budget(month_data, more, client_for, django_assert_max_num_queries):
    if more:
        _more_data(month_data)
    client = client_for("manager")
    client.get("/reports/", NOV)  # warm the session/permission caches
    with django_assert_max_num_queries(sum(SECTION_BUDGET.values()) + 8):
        assert client.get("/reports/", NOV).status_code == 200


def _export(client, table, fmt, django_capture_on_commit_callbacks, **extra):
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/reports/exports/new/", {"table": table, "fmt": fmt, **NOV, **extra})
    assert r.status_code == 302
    return ReportExport.objects.latest("id")


def test_csv_export_content_and_log(month_data, client_for, personas, django_capture_on_commit_callbacks, tmp_path,
                                    settings):
    settings.MEDIA_ROOT = tmp_path
    client = client_for("supervisor")
    export = _export(client, "contacts_by_channel", "csv", django_capture_on_commit_callbacks)
    assert (export.status, export.progress, export.row_count) == ("done", 100, 3)
    assert export.requested_by == personas.supervisor and export.params["date"] == "2026-11-01"
    page = client.get(f"/reports/exports/{export.pk}/")
    assert b"Download" in page.content and b"every 1s" not in page.content
    r = client.get(f"/reports/exports/{export.pk}/download/")
    rows = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["Channel", "Contacts"]
    assert sorted(rows[1:]) == [["Email", "1"], ["Phone", "2"], ["Walk-in", "1"]]
    assert ReportExportDownload.objects.filter(export=export, user=personas.supervisor).count() == 1


def test_xlsx_export_of_ticket_rows(month_data, client_for, django_capture_on_commit_callbacks, tmp_path, settings):
    from openpyxl import load_workbook

    settings.MEDIA_ROOT = tmp_path
    client = client_for("manager")
    export = _export(client, "tickets_detail", "xlsx", django_capture_on_commit_callbacks)
    assert export.row_count == 7  # tickets opened in November
    r = client.get(f"/reports/exports/{export.pk}/download/")
    ws = load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:6] == ("Number", "Kind", "Priority", "Status", "Channel", "Customer")
    assert [row[0] for row in rows[1:]] == ["T-001", "T-002", "T-003", "T-004", "T-007", "T-005", "T-008"]
    assert rows[1][5] == "Wang Wei" and rows[1][7].hour == 9  # local time in the sheet


def test_xlsx_section_table(month_data, client_for, django_capture_on_commit_callbacks, tmp_path, settings):
    from openpyxl import load_workbook

    settings.MEDIA_ROOT = tmp_path
    client = client_for("manager")
    with time_machine.travel(L(11, 30, 12), tick=False):  # after t5's first-response deadline: missed
        export = _export(client, "sla_by_target", "xlsx", django_capture_on_commit_callbacks)
    ws = load_workbook(io.BytesIO(b"".join(client.get(f"/reports/exports/{export.pk}/download/").streaming_content))).active
    assert list(ws.iter_rows(values_only=True))[1] == ("First response", 3, 2, 60)


def test_export_download_only_by_requester_or_manager(month_data, client_for, personas,
                                                      django_capture_on_commit_callbacks, tmp_path, settings):
    from django.contrib.auth import get_user_model

    settings.MEDIA_ROOT = tmp_path
    export = _export(client_for("supervisor"), "technicians", "csv", django_capture_on_commit_callbacks)
    other = get_user_model().objects.create_user("sup2", password="pw")
    roles.sync_roles()
    other.groups.add(Group.objects.get(name=roles.SUPERVISOR))
    client = client_for(None)
    client.force_login(other)
    assert client.get(f"/reports/exports/{export.pk}/download/").status_code == 403
    assert client.get(f"/reports/exports/{export.pk}/").status_code == 403
    assert export.pk not in [e.pk for e in client.get("/reports/exports/").context["page"]]
    assert client_for("agent").get(f"/reports/exports/{export.pk}/download/").status_code == 403
    assert client_for("manager").get(f"/reports/exports/{export.pk}/download/").status_code == 200
    assert list(ReportExportDownload.objects.values_list("user__username", flat=True)) == ["manager"]


def test_export_refused_without_permission(client_for):
    r = client_for("agent").post("/reports/exports/new/", {"table": "technicians", "fmt": "csv", **NOV})
    assert r.status_code == 403 and not ReportExport.objects.exists()


def test_pending_export_polls(month_data, client_for, personas):
    export = ReportExport.objects.create(requested_by=personas.supervisor, table="technicians", fmt="csv",
                                         params={"period": "month", "date": "2026-11-01", "end": "2026-11-30"},
                                         created_at=L(11, 23, 9))
    r = client_for("supervisor").get(f"/reports/exports/{export.pk}/", HTTP_HX_REQUEST="true")
    assert b'hx-trigger="every 1s"' in r.content and b"progress-bar" in r.content
    assert client_for("supervisor").get(f"/reports/exports/{export.pk}/download/").status_code == 302  # not ready


def test_export_task_is_idempotent(month_data, personas, tmp_path, settings):
    from reports.services import export_run

    settings.MEDIA_ROOT = tmp_path
    export = ReportExport.objects.create(requested_by=personas.supervisor, table="contacts_by_hour", fmt="csv",
                                         params={"period": "month", "date": "2026-11-01", "end": "2026-11-30"},
                                         created_at=L(11, 23, 9))
    assert export_run(export_id=export.pk) is not None
    first = ReportExport.objects.get(pk=export.pk).file.name
    assert export_run(export_id=export.pk) is None  # already done: nothing happens
    assert ReportExport.objects.get(pk=export.pk).file.name == first
    assert ReportExport.objects.get(pk=export.pk).row_count == 24


def test_print_view_has_print_stylesheet_and_button(month_data, client_for):
    r = client_for("manager").get("/reports/print/", {"period": "week", "date": "2026-11-18"})
    body = r.content.decode()
    assert "data-print" in body and "reports/reports.css" in body  # the button: static/js/servicedesk.js prints
    assert "November 2026" in body  # a week is widened to its month
    from django.contrib.staticfiles import finders

    css = open(finders.find("reports/reports.css")).read()
    assert "@media print" in css and "break-before: page" in css
