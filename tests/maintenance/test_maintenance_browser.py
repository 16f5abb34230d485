"""Issue 17 "Done means": the account manager creates the maintenance plan on a phone (360 px, Chinese UI)
and sees its first visit date. Screenshots go to /tmp/shots/maintenance/."""
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from maintenance.models import MaintenancePlan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("SHOTS_DIR", "/tmp/shots/maintenance"))


def test_account_manager_creates_a_plan_on_a_phone_and_sees_the_first_visit(live_server, browser, personas,
                                                                           account, skill):
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    personas.agent.first_name, personas.agent.last_name = "雷", "张"
    personas.agent.save()
    first_visit = timezone.localdate() + timedelta(days=10)
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    # the account manager signs in and opens the plans list
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", "agent")
    page.fill("input[name=password]", "pw")
    page.press("input[name=password]", "Enter")
    page.wait_for_load_state("networkidle")
    page.goto(f"{base}/maintenance/")
    assert "维护计划" in page.content()
    page.get_by_role("link", name="新建计划").click()
    # picks their key account
    page.wait_for_url(f"{base}/maintenance/new/")
    page.select_option("#id_customer", str(account.pk))
    page.get_by_role("button", name="继续").click()
    page.wait_for_url(f"{base}/maintenance/new/?customer={account.pk}")
    # fills the plan: quarterly, a checklist, the skill
    page.fill("#id_title", "中央空调季度保养")
    page.select_option("#id_kind", "quarterly")
    page.fill("#id_start_on", first_visit.isoformat())
    page.fill("#id_checklist", "清洗过滤网\n检查冷媒压力\n测试报警装置")
    page.select_option("#id_skill", str(skill.pk))
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "the form is wider than the phone"
    page.screenshot(path=str(SHOTS / "plan-form-zh-360.png"), full_page=True)
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"{base}/maintenance/*/")
    # then the plan page shows the first visit date and the checklist
    plan = MaintenancePlan.objects.get()
    assert plan.customer == account and plan.next_due_on == first_visit
    assert f"首次上门：{first_visit.isoformat()}" in page.content()
    assert page.locator("#next-visit").inner_text().strip() == first_visit.isoformat()
    assert "测试报警装置" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "the plan page is wider than the phone"
    page.screenshot(path=str(SHOTS / "plan-detail-zh-360.png"), full_page=True)
    context.close()
