"""On a 360 px phone, in Chinese: the supervisor records a slip, the front desk acknowledges it, the
supervisor inspects a sampled ticket. No page scrolls sideways. Screenshots go to /tmp/shots/quality/."""
import os
from pathlib import Path

import pytest

from quality.models import DailySample, DemeritSlip, Finding, InspectionTask

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("SHOTS_DIR", "/tmp/shots/quality"))


def sign_in(page, base, username):
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw")
    page.press("input[name=password]", "Enter")
    page.wait_for_load_state("networkidle")


def no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url


def test_record_acknowledge_and_inspect_on_a_phone_in_chinese(live_server, browser, team, personas, make_ticket):
    from django.utils import timezone

    SHOTS.mkdir(parents=True, exist_ok=True)
    now = timezone.now()
    ticket = make_ticket(opened_at=now - timezone.timedelta(hours=3), resolve_at=now - timezone.timedelta(hours=1))
    sample = DailySample.objects.create(day=timezone.localdate(now), created_at=now)
    task = InspectionTask.objects.create(sample=sample, kind="ticket", reason="low_score", ticket=ticket,
                                         person=personas.agent, occurred_at=ticket.resolved_at)
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)

    # the supervisor records a slip for the front desk
    sign_in(page, live_server.url, "supervisor")
    page.goto(f"{live_server.url}/quality/slips/new/")
    assert "记录过失单" in page.content()
    page.select_option("select[name=person]", str(personas.frontdesk.pk))
    page.select_option("select[name=category]", label="前台无人值守")
    page.fill("input[name=occurred_at]", timezone.localtime(now - timezone.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("textarea[name=description]", "前台 20 分钟无人")
    no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / "slip-new-360-zh.png"), full_page=True)
    page.click("button[type=submit]:has-text('记录')")
    page.wait_for_load_state("networkidle")
    slip = DemeritSlip.objects.get()
    assert page.url.endswith(f"/quality/slips/{slip.pk}/")
    no_sideways_scroll(page)

    # the supervisor inspects the sampled ticket: one finding
    page.goto(f"{live_server.url}/quality/inspections/")
    assert "低分" in page.content() or "满意度" in page.content() or "质检队列" in page.content()
    no_sideways_scroll(page)
    page.goto(f"{live_server.url}/quality/inspections/{task.pk}/")
    no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / "inspect-360-zh.png"), full_page=True)
    first = page.locator("fieldset").first
    first.locator("input[type=radio]").nth(2).check()  # the second severity level (medium)
    first.locator("input[type=text]").fill("未告知客户答复时间")
    page.click("button[type=submit]:has-text('保存质检结果')")
    page.wait_for_load_state("networkidle")
    assert Finding.objects.get().severity.code == "medium"

    # the front desk reads and acknowledges the slip
    context.clear_cookies()
    sign_in(page, live_server.url, "frontdesk")
    page.goto(f"{live_server.url}/quality/slips/mine/")
    no_sideways_scroll(page)
    page.click("text=前台无人值守")
    page.fill("textarea[name=response]", "当时去仓库取资料")
    page.click("button:has-text('我已阅读此过失单')")
    page.wait_for_load_state("networkidle")
    no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / "slip-detail-360-zh.png"), full_page=True)
    slip.refresh_from_db()
    assert slip.acknowledged_at is not None and slip.response == "当时去仓库取资料"
    context.close()
