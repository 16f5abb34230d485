"""A technician on a phone (360×740): accept, arrive, start, parts, work done, sign on the canvas, close."""
import os
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from dispatch import services
from dispatch.models import Offer, StockLevel, WorkOrder
from tests.dispatch.dispatch_helpers import fault_cause

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("SHOTS_DIR", "/tmp/shots/dispatch")


def _login(page, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie.value,
                               "url": live_server.url}])


def _shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    yield page
    context.close()


def test_technician_closes_a_job_on_the_phone(phone, live_server, personas, tech_factory, wo_factory, part):
    # given a job offered to the technician (in warranty), parts in stock and a fault cause list
    page = phone
    tech = tech_factory(user=personas.technician)
    now = timezone.now()
    wo = wo_factory(now=now, start=now + timedelta(minutes=30))
    services.workorder_auto_dispatch(work_order=wo, now=now)
    cause = fault_cause()
    _login(page, live_server, tech.user)

    # when they open their jobs and accept
    page.goto(f"{live_server.url}/dispatch/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    _shot(page, "phone_my_jobs.png")
    page.get_by_role("button", name="Accept").click()
    page.wait_for_url(f"**/dispatch/wo/{wo.pk}/")
    page.get_by_role("button", name="I have arrived").click()
    page.get_by_role("button", name="Start work").click()

    # record a part and the work done
    page.select_option("#part-form select[name=part]", str(part.pk))
    page.fill("#part-form input[name=quantity]", "2")
    page.check("#part-form input[name=faulty_returned]")
    page.get_by_role("button", name="Record part").click()
    page.fill("textarea[name=work_done]", "Replaced the capacitor, cleaned the filter")
    page.select_option("select[name=fault_cause]", str(cause.pk))
    page.get_by_role("button", name="Save", exact=True).click()
    assert page.locator("#parts-used").inner_text().count("Compressor capacitor") == 1

    # the customer signs with a finger (mouse drag) on the canvas
    page.fill("input[name='s-name']", "王芳")
    canvas = page.locator("#s-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 60)
    page.mouse.down()
    for step in range(1, 16):
        page.mouse.move(box["x"] + 20 + step * 18, box["y"] + 60 + (25 if step % 2 else -25), steps=3)
    page.mouse.up()
    _shot(page, "phone_sign_off.png")
    page.get_by_role("button", name="Customer signs off").click()
    page.get_by_text("Signed off by 王芳").wait_for()
    page.get_by_role("button", name="Close work order").click()
    page.get_by_text("Work order closed").wait_for()
    _shot(page, "phone_closed.png")

    # then the job is closed, signed with a real drawing, and the stock went down
    wo.refresh_from_db()
    assert wo.status == WorkOrder.Status.CLOSED and wo.signed_by_name == "王芳"
    with wo.signature.open("rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert StockLevel.objects.get(part=part).quantity == 1
    assert Offer.objects.get(work_order=wo).answer == Offer.Answer.ACCEPTED
    wo.ticket.refresh_from_db()
    assert wo.ticket.status == "resolved"


def test_supervisor_board_in_both_languages(browser, live_server, personas, tech_factory, wo_factory):
    # given a board with a job offered, one waiting and technicians' loads
    tech_factory(user=personas.technician)
    tech_factory(user=personas.technician2, last_assigned_at=timezone.now())
    now = timezone.now()
    services.workorder_auto_dispatch(work_order=wo_factory(now=now), now=now)
    wo_factory(now=now, value="62000")  # large: nobody senior enough → stays waiting
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _login(page, live_server, personas.supervisor)
    page.goto(f"{live_server.url}/dispatch/board/")
    assert page.locator("#board-load tbody tr").count() == 2
    assert page.locator("#board-pending li").count() == 1
    _shot(page, "board_desktop.png")
    page.context.add_cookies([{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": "zh-hans",
                               "url": live_server.url}])
    page.goto(f"{live_server.url}/dispatch/board/")
    assert "派工" in page.content()
    _shot(page, "board_desktop_zh.png")
    context.close()
