"""The front desk's screen-pop in a real browser: the phone system reports a ring through the API (HTTP, token), the card appears on the
signed-in desk page within a couple of seconds, "log this call" saves a contact with the exchange's times.
Screenshots (1366 px English, 360 px Chinese) go to /tmp/shots/telephony/."""
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest

from customers.models import Contact
from customers.services import asset_create
from servicedesk.models import StaffProfile
from tickets.services import ticket_create

from telephony.models import Call

from .ring import exchange_token, hang_up, ring

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("SHOTS_DIR", "/tmp/shots/telephony"))


def sign_in(page, base, username):
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw")
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"{base}/customers/")


@pytest.fixture
def desk_world(personas, customer_factory):
    StaffProfile.objects.update_or_create(user=personas.frontdesk, defaults={"extension": "8001"})
    customer = customer_factory(name="王建国", phone="13812345678", tier="gold", is_key_account=True)
    ticket_create(customer=customer, kind="repair", subject="空调不制冷", created_by=personas.frontdesk)
    from datetime import date

    asset_create(customer=customer, created_by=personas.frontdesk, product="空调", install_date=date(2025, 6, 1),
                 warranty_end=date(2027, 6, 1))
    return customer


@pytest.fixture
def token(personas):
    return exchange_token(personas.manager)


def test_a_ring_pops_the_card_and_log_this_call_saves_the_contact(live_server, browser, desk_world, token):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server.url, "frontdesk")
    page.wait_for_timeout(500)
    assert page.locator("#call-pop-card").count() == 0

    started = time.monotonic()
    ring(live_server.url, token, call_id="e2e-1", caller="+86 138 1234 5678", extension="8001")
    page.locator("#call-pop-card").wait_for(timeout=5_000)
    seconds = time.monotonic() - started
    assert seconds < 3.5, f"the card took {seconds:.1f} s"
    card = page.locator("#call-pop-card")
    for text in ("王建国", "Key account", "1 open ticket", "空调不制冷", "in warranty until 2027-06-01"):
        assert text in card.inner_text()
    page.screenshot(path=str(SHOTS / "pop-desktop-en.png"))

    rang_at = Call.objects.get(call_id="e2e-1").rang_at
    hang_up(live_server.url, token, call_id="e2e-1", at=rang_at + timedelta(seconds=95), duration=92)
    page.locator("#call-pop-card", has_text="Call ended · 1 min 32 s").wait_for(timeout=5_000)
    page.get_by_role("link", name="Log this call").click()
    page.wait_for_url(f"{live_server.url}/calls/*/log/")
    assert "1 min 32 s" in page.content()
    page.select_option("#id_purpose", "repair")
    page.fill("#id_notes", "空调又不制冷了，约上门。")
    page.screenshot(path=str(SHOTS / "log-desktop-en.png"), full_page=True)
    page.locator("button[name=save]").click()
    page.wait_for_url(f"{live_server.url}/customers/{desk_world.pk}/")
    contact = Contact.objects.get()
    assert (contact.customer_id, contact.purpose, (contact.ended_at - contact.started_at).total_seconds()) == (
        desk_world.pk, "repair", 95)
    # the card is gone once the call is logged
    page.wait_for_timeout(2_000)
    assert page.locator("#call-pop-card").count() == 0
    context.close()


def test_the_card_on_a_phone_in_chinese_for_an_unknown_number(live_server, browser, desk_world, token):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server.url, "frontdesk")
    ring(live_server.url, token, call_id="e2e-2", caller="13700001111", extension="8001")
    page.locator("#call-pop-card").wait_for(timeout=5_000)
    box = page.locator("#call-pop-card").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    page.screenshot(path=str(SHOTS / "pop-phone-zh.png"))
    page.get_by_role("button", name="关闭").click()
    page.wait_for_timeout(500)
    assert page.locator("#call-pop-card").count() == 0
    context.close()
