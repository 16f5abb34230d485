"""Issue 19 items 9 and 10 in the browser: the call list shows numbers masked, one click (htmx) reveals the
caller's number, and the manager finds that click in the access log, in English and Chinese. Screenshots at
1366 px and 360 px."""
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from customers.models import PersonalDataAccess
from telephony import services

from ..pages import shot, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_masked_call_list_reveal_and_access_log(browser, live_server, personas, customer_factory):
    customer = customer_factory(name="王芳", phone="13812345678", address="北京市朝阳区建国路88号3单元502")
    services.call_ringing(call_id="b-1", caller="13812345678", extension="8001", at=timezone.now())
    personas.supervisor, personas.manager
    for lang, width in (("en", 1366), ("zh-hans", 360)):
        page = signed_in_page(browser, live_server, "supervisor", lang=lang, width=width)
        page.goto(live_server.url + "/calls/")
        cell = page.locator("[data-pii]").first
        expect(cell).to_contain_text("138 **** 5678")
        shot(page, "privacy", f"call-list-masked-{width}-{lang}.png")
        cell.locator("button").click()
        expect(page.locator("a[href='tel:+8613812345678']")).to_have_text("138 1234 5678")
        shot(page, "privacy", f"call-list-revealed-{width}-{lang}.png")
        page.context.close()

        page = signed_in_page(browser, live_server, "manager", lang=lang, width=width)
        page.goto(live_server.url + f"/customers/{customer.pk}/")
        with page.expect_navigation():
            page.locator("#access-log-link").click()
        table = page.locator("#access-table")
        expect(table).to_contain_text("Supervisor")
        expect(table).to_contain_text("查看了完整电话" if lang == "zh-hans" else "revealed a phone number")
        shot(page, "privacy", f"access-log-{width}-{lang}.png")
        page.context.close()
    assert PersonalDataAccess.objects.filter(action="reveal_phone", place="call_list").count() == 2
