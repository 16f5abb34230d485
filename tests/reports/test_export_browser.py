"""The manager downloads the ticket export in a real browser, in Chinese, and opens the file: its cells are
labels, the header is frozen and bold, the sheet and the file have names in words (issue 11 item 9)."""
import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import translation
from openpyxl import load_workbook

from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("SHOTS_DIR", "/tmp/shots/exports"))
SH = ZoneInfo("Asia/Shanghai")


def test_manager_downloads_a_readable_excel_export(live_server, browser, personas, customer_factory, tmp_path):
    from tickets.services import ticket_create

    settings.MEDIA_ROOT = tmp_path  # the live server's thread reads the same settings object
    SHOTS.mkdir(parents=True, exist_ok=True)
    customer = customer_factory(name="王芳")
    ticket_create(customer=customer, kind=Ticket.Kind.REPAIR, subject="热水器不出热水", created_by=personas.frontdesk,
                  now=datetime(2026, 11, 3, 9, 30, tzinfo=SH))
    personas.manager  # noqa: B018 — create the user before signing in
    base = live_server.url
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        page.goto(f"{base}/login/")
        page.fill("input[name=username]", "manager")
        page.fill("input[name=password]", "pw")
        page.locator("form:has(input[name=password]) button[type=submit]").click()
        page.wait_for_load_state()
        page.goto(f"{base}/reports/?period=month&date=2026-11-01")
        page.locator("form:has(input[name=table][value=tickets_detail]) button[value=xlsx]").click()
        page.wait_for_url("**/reports/exports/*/")
        link = page.locator("a[href$='/download/']")
        link.wait_for()
        page.screenshot(path=str(SHOTS / "export-ready-zh-desktop.png"), full_page=True)
        with page.expect_download() as info:
            link.click()
        download = info.value
        path = tmp_path / "download.xlsx"
        download.save_as(path)
    finally:
        context.close()

    with translation.override("zh-hans"):
        title = str(translation.gettext("Tickets opened in the period"))
        labels = [str(Ticket.Kind.REPAIR.label), str(Ticket.Priority.NORMAL.label), str(Ticket.Status.NEW.label)]
    assert download.suggested_filename == f"{title}-2026-11-01_2026-11-30.xlsx"
    ws = load_workbook(path).active
    assert ws.title == title and ws.freeze_panes == "A2" and all(c.font.b for c in ws[1])
    row = [c.value for c in ws[2]]
    assert row[1:4] == labels and row[5] == "王芳"
    assert row[7] == datetime(2026, 11, 3, 9, 30)  # a date/time cell on the department's clock
