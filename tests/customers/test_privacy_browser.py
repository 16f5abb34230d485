"""Issue 19 items 9 and 10 in the browser: the call list shows numbers masked, one click (htmx) reveals the
caller's number, and the manager finds that click in the access log, in English and Chinese. Screenshots at
1366 px and 360 px."""
import os

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from customers.models import PersonalDataAccess
from telephony import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("SHOTS_DIR", "/tmp/shots/privacy")


def shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def _page(browser, live_server, username, lang, width):
    locale = "zh-CN" if lang == "zh-hans" else "en-US"
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale)
    context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(live_server.url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    return page


def test_masked_call_list_reveal_and_access_log(browser, live_server, personas, customer_factory):
    customer = customer_factory(name="王芳", phone="13812345678", address="北京市朝阳区建国路88号3单元502")
    services.call_ringing(call_id="b-1", caller="13812345678", extension="8001", at=timezone.now())
    personas.supervisor, personas.manager
    for lang, width in (("en", 1366), ("zh-hans", 360)):
        page = _page(browser, live_server, "supervisor", lang, width)
        page.goto(live_server.url + "/calls/")
        cell = page.locator("[data-pii]").first
        expect(cell).to_contain_text("138 **** 5678")
        shot(page, f"call-list-masked-{width}-{lang}.png")
        cell.locator("button").click()
        expect(page.locator("a[href='tel:+8613812345678']")).to_have_text("138 1234 5678")
        shot(page, f"call-list-revealed-{width}-{lang}.png")
        page.context.close()

        page = _page(browser, live_server, "manager", lang, width)
        page.goto(live_server.url + f"/customers/{customer.pk}/")
        with page.expect_navigation():
            page.locator("#access-log-link").click()
        table = page.locator("#access-table")
        expect(table).to_contain_text("Supervisor")
        expect(table).to_contain_text("查看了完整电话" if lang == "zh-hans" else "revealed a phone number")
        shot(page, f"access-log-{width}-{lang}.png")
        page.context.close()
    assert PersonalDataAccess.objects.filter(action="reveal_phone", place="call_list").count() == 2
