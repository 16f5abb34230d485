"""My renewals in a real browser, in Chinese, on a phone (360 px): the account manager sees the contract
ending soon and marks the renewal task done. Screenshots go to /tmp/shots/contracts/."""
import os
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from contracts.models import ContractLevel, Reminder
from contracts.services import contract_save, reminders_sweep
from customers.models import Customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("SHOTS_DIR", "/tmp/shots/contracts"))


def test_account_manager_marks_a_renewal_task_done_on_a_phone(live_server, browser, personas, customer_factory):
    SHOTS.mkdir(parents=True, exist_ok=True)
    # given a customer managed by the agent, with a contract ending in 30 days and its renewal task
    customer = customer_factory(name="华光制冷设备有限公司")
    Customer.objects.filter(pk=customer.pk).update(account_manager=personas.agent)
    contract = contract_save(by=personas.supervisor, customer=Customer.objects.get(pk=customer.pk),
                             level=ContractLevel.objects.get(code="premium"), start_date=date(2026, 1, 1),
                             end_date=timezone.localdate() + timedelta(days=30), price=Decimal("8800"))
    reminders_sweep()
    task = Reminder.objects.get(contract=contract, action="task")
    # when the account manager opens "My renewals" on a phone, in Chinese
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "agent")
    page.fill("input[name=password]", "pw")
    page.press("input[name=password]", "Enter")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/contracts/renewals/")
    html = page.content()
    assert "我的续约" in html and "未完成的任务" in html and contract.number in html
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "the page is wider than the phone"
    page.screenshot(path=str(SHOTS / "renewals-zh-360.png"), full_page=True)
    page.locator("#renewal-tasks").get_by_role("button", name="完成").click()
    page.wait_for_url(f"{live_server.url}/contracts/renewals/*")
    # then the task is done and the page says so
    assert "任务已标记为完成" in page.content() and "没有未完成的任务" in page.content()
    page.screenshot(path=str(SHOTS / "renewals-done-zh-360.png"), full_page=True)
    task.refresh_from_db()
    assert task.done_by == personas.agent
    context.close()
