"""A customer on a phone (360×740) sends an online request: htmx "Send code", the code from the SMS, done."""
import re

import pytest

from servicedesk.models import OutboxMessage
from tickets.models import Ticket

from .conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_sends_a_request_from_a_phone_in_chinese(phone, live_server):
    page = phone
    # when the customer opens the form (Chinese is the default)
    page.goto(live_server.url + "/request/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    assert page.locator("#send-code").bounding_box()["height"] >= 44
    box = page.locator("#id_website").bounding_box()
    assert box is None or box["x"] + box["width"] <= 0  # the honeypot is off screen
    shot(page, "request-phone.png")
    page.locator("#id_name").fill("王芳")
    page.locator("#id_mobile").fill("13812345678")
    page.locator("#id_description").fill("空调不制冷，室内机滴水。")
    # "Send code" with htmx: the code block is swapped, the typed text stays on the page
    page.locator("#send-code").tap()
    page.locator("#id_code").wait_for()
    assert "138****5678" in page.locator("#code-status").inner_text()
    assert page.locator("#id_description").input_value() == "空调不制冷，室内机滴水。"
    body = OutboxMessage.objects.get(kind="portal.code").body
    page.locator("#id_code").fill(re.search(r"\d{6}", body).group(0))
    page.locator("label[for='id_kind_0']").tap()
    shot(page, "request-phone-filled.png")
    page.locator("#submit-request").tap()
    # then the done page with the number and the link to follow it
    page.locator("#ticket-number").wait_for()
    ticket = Ticket.objects.get()
    assert page.locator("#ticket-number").inner_text() == ticket.number
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "request-phone-done.png")
    page.locator("#status-link").tap()
    page.wait_for_url(re.compile(r"/t/"))
    assert ticket.number in page.content()
