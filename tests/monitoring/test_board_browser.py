"""The board in a real browser at 360 px, in Chinese: cards instead of the table, nothing wider than the
screen, the chart drawn, no console errors (CSP). Screenshot to /tmp/shots/monitoring/."""
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("SHOTS_DIR", "/tmp/shots/monitoring"))


def test_the_board_on_a_phone_in_chinese(live_server, browser, personas, customer_factory):
    from customers.models import Contact
    from servicedesk.models import StaffProfile, Team

    team = Team.objects.create(name="维修组", name_en="Repairs", supervisor=personas.supervisor)
    for person in (personas.agent, personas.frontdesk):
        StaffProfile.objects.update_or_create(user=person, defaults={"team": team})
    customer = customer_factory(name="王建国")
    now = timezone.now()
    for minutes in (3, 7):
        Contact.objects.create(handled_by=personas.frontdesk, customer=customer, started_at=now - timedelta(minutes=30),
                               ended_at=now - timedelta(minutes=30 - minutes))
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 360, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "supervisor")
    page.fill("input[name=password]", "pw")
    page.press("input[name=password]", "Enter")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/monitoring/")
    page.locator("#board-cards").wait_for()
    assert page.locator("#board-cards .card").count() == 2
    assert not page.locator("#board-table").is_visible()
    assert "首次接触解决率" in page.content()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width} px wide on a 360 px phone"
    page.wait_for_function("document.getElementById('board-chart').width > 0")
    page.screenshot(path=str(SHOTS / "board-360-zh.png"), full_page=True)
    assert errors == []
    context.close()
