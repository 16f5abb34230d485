"""The month's assessment in a real browser, in Chinese (issue 18 "Done means"): the manager opens the
cycle, the supervisor and a peer fill their forms on a phone (360 px), the manager closes the month
and downloads the payroll CSV. Screenshots go to /tmp/shots/assessment/."""
import os
from pathlib import Path

import pytest
from django.utils import timezone

from assessment.models import Cycle, EvaluatorKind, Result
from assessment.services import evaluator_assign
from servicedesk.models import StaffProfile, Team

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("SHOTS_DIR", "/tmp/shots/assessment"))


def sign_in(page, base, username):
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw")
    page.press("input[name=password]", "Enter")
    page.wait_for_load_state("networkidle")


@pytest.fixture
def team(personas):
    team = Team.objects.create(name="客服组", supervisor=personas.supervisor)
    for user in (personas.agent, personas.agent2):
        StaffProfile.objects.update_or_create(user=user, defaults={"team": team})
    personas.agent.first_name, personas.agent.last_name = "雷", "张"
    personas.agent.save()
    evaluator_assign(person=personas.agent, evaluator=personas.agent2, kind=EvaluatorKind.objects.get(code="peer"),
                     by=personas.manager)
    personas.frontdesk  # assessed as well (no evaluators: every kind shows as missing)
    return team


def fill_form_on_phone(browser, base, username, person_text, scores, shot):
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, base, username)
    page.goto(f"{base}/assessment/forms/")
    assert "我要填写的考核表" in page.content()
    page.locator("a.list-group-item", has_text=person_text).first.click()
    page.wait_for_url(f"{base}/assessment/forms/*/")
    selects = page.locator("select")
    assert selects.count() == len(scores) == 14
    for i, value in enumerate(scores):
        selects.nth(i).select_option(str(value))
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "the form is wider than the phone"
    page.screenshot(path=str(SHOTS / shot), full_page=True)
    page.get_by_role("button", name="提交考核表").click()
    page.wait_for_url(f"{base}/assessment/forms/")
    assert "已保存" in page.content()
    context.close()


def test_open_fill_on_phones_close_and_download_payroll(live_server, browser, personas, team):
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    month = timezone.localdate().strftime("%Y-%m")
    # the manager opens the month
    manager_ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", accept_downloads=True)
    page = manager_ctx.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, base, "manager")
    page.goto(f"{base}/assessment/cycles/open/")
    page.fill("#id_month", month)
    page.get_by_role("button", name="开启本月考核").click()
    page.wait_for_url(f"{base}/assessment/cycles/*/")
    assert "考核已开启" in page.content() or "已向" in page.content()
    cycle = Cycle.objects.get()
    # the supervisor (54 of 60) and the peer (60 of 60) fill their forms on a phone
    fill_form_on_phone(browser, base, "supervisor", "雷 张", [5] * 10 + [4, 0, 0, 0], "supervisor-form-zh-360.png")
    fill_form_on_phone(browser, base, "agent2", "雷 张", [5] * 12 + [0, 0], "peer-form-zh-360.png")
    # the manager closes the month (confirm page) and downloads the payroll CSV
    page.goto(f"{base}/assessment/cycles/{cycle.pk}/")
    page.get_by_role("link", name="关闭并锁定").click()
    page.wait_for_url(f"{base}/assessment/cycles/{cycle.pk}/close/")
    page.get_by_role("button", name="关闭并锁定").click()
    page.wait_for_url(f"{base}/assessment/cycles/{cycle.pk}/")
    assert "结果已锁定" in page.content()
    page.screenshot(path=str(SHOTS / "cycle-closed-zh.png"), full_page=True)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="工资表 CSV").click()
    body = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    lines = body.splitlines()
    assert lines[0].startswith("用户名")
    # 54/60 × 50 + 60/60 × 10 = 55; marketing and production sent no form: 0 (shown as missing)
    agent_line = next(line for line in lines if line.startswith("agent,"))
    assert agent_line.split(",")[2:4] == ["55.00", "55.00"]
    assert Result.objects.get(cycle=cycle, person=personas.agent).score == 55
    manager_ctx.close()
