"""The front desk in a real browser: sign in, find a caller by a phone fragment, create a customer,
log a contact. Screenshots (desktop and a 360px phone) go to /tmp/shots/customers/."""
import os
from pathlib import Path

import pytest

from customers.models import Contact, Customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("SHOTS_DIR", "/tmp/shots/customers"))


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def sign_in(page, base, username):
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/customers/")


def test_front_desk_finds_creates_and_logs(live_server, desktop, browser, personas, customer_factory, region):
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    customer_factory(name="王芳", phone="13812345678", tier="gold")
    customer_factory(name="Beijing Huaxin Trading Co.", phone="010-12345678", kind="organisation", tier="diamond", is_key_account=True)
    personas.frontdesk  # noqa: B018 — create the user before signing in
    page = desktop

    # sign in → the front desk is the home page
    sign_in(page, base, "frontdesk")

    # type a phone fragment: the caller appears as you type (htmx)
    page.fill("#desk-q", "138 1234")
    page.locator(".customer-result", has_text="王芳").wait_for()
    page.screenshot(path=str(SHOTS / "desk-desktop.png"), full_page=True)

    # an unknown number: the empty state offers "create customer" pre-filled with it
    page.fill("#desk-q", "139 0000 1111")
    page.get_by_role("link", name="Create customer").click()
    assert page.input_value("input[name=phone1]") == "139 0000 1111"
    page.fill("input[name=name]", "李明")
    page.select_option("select[name=region]", str(region.pk))
    page.select_option("select[name=channel]", "walk_in")
    page.fill("textarea[name=notes]", "<script>alert('x')</script> prefers mornings")
    page.screenshot(path=str(SHOTS / "create-desktop.png"), full_page=True)
    page.get_by_role("button", name="Save").click()
    page.locator("#customer-name", has_text="李明").wait_for()
    created = Customer.objects.get(name="李明")
    assert created.first_contact_channel == "walk_in" and created.phones.get().number == "+8613900001111"

    # log a contact from the customer page
    page.get_by_role("link", name="Log contact").first.click()
    page.select_option("select[name=purpose]", "repair")
    page.fill("textarea[name=notes]", "Air conditioner is leaking")
    page.click("#contact-form button[name=save]")
    page.locator("#timeline", has_text="Air conditioner is leaking").wait_for()
    assert Contact.objects.get(customer=created).purpose == "repair"
    assert "prefers mornings" in page.inner_text("#customer-notes")  # shown as text, not run
    page.screenshot(path=str(SHOTS / "customer-desktop.png"), full_page=True)

    # the same pages on a 360px phone
    phone = browser.new_context(viewport={"width": 360, "height": 780}, locale="en-US")
    mobile = phone.new_page()
    mobile.set_default_timeout(15_000)
    sign_in(mobile, base, "frontdesk")
    mobile.fill("#desk-q", "1381")
    mobile.locator(".customer-result", has_text="王芳").wait_for()
    mobile.screenshot(path=str(SHOTS / "desk-360.png"), full_page=True)
    mobile.goto(f"{base}/customers/{created.pk}/")
    mobile.screenshot(path=str(SHOTS / "customer-360.png"), full_page=True)
    mobile.goto(f"{base}/customers/new/")
    mobile.screenshot(path=str(SHOTS / "create-360.png"), full_page=True)
    width = mobile.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"horizontal scroll on a phone: {width}px"
    phone.close()


def test_supervisor_tallies_and_merge_in_chinese(live_server, browser, personas, customer_factory):
    from customers.services import contact_log

    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    a = customer_factory(name="王芳", phone="13812345678", tier="gold")
    b = customer_factory(name="王芳 (重复)", phone="13812349999")
    for channel, purpose in (("walk_in", "repair"), ("phone", "inquiry"), ("phone", "complaint")):
        contact_log(handled_by=personas.frontdesk, channel=channel, purpose=purpose, customer=a)
    personas.supervisor  # noqa: B018
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": base}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", "supervisor")
    page.fill("input[name=password]", "pw")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(f"{base}/customers/tallies/")
    page.locator("#by-person").wait_for()
    assert "接待统计" in page.content()
    page.wait_for_timeout(500)  # let Chart.js draw
    page.screenshot(path=str(SHOTS / "tallies-zh-desktop.png"), full_page=True)
    page.goto(f"{base}/customers/{a.pk}/merge/?other={b.pk}")
    page.screenshot(path=str(SHOTS / "merge-zh-desktop.png"), full_page=True)
    page.get_by_role("button", name="合并").click()
    page.locator("#customer-name", has_text="王芳").wait_for()
    b.refresh_from_db()
    assert b.merged_into_id == a.pk
    page.screenshot(path=str(SHOTS / "customer-zh-desktop.png"), full_page=True)
    context.close()


def test_front_desk_finds_a_caller_by_the_last_four_digits(live_server, browser, personas, customer_factory, region):
    """A caller gives only 尾号 4817: both customers whose numbers end so are offered, masked, with their region."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    zhang = customer_factory(name="张伟", phone="135 7263 4817", region=region)
    customer_factory(name="刘洋", phone="139 0000 4817")
    customer_factory(name="钱进", phone="136 1234 5678")
    personas.frontdesk  # noqa: B018
    for locale, width, hint in (("en-US", 1366, "confirm the full number"), ("zh-CN", 360, "确认完整号码")):
        context = browser.new_context(viewport={"width": width, "height": 800}, locale=locale)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{base}/login/")
        page.fill("input[name=username]", "frontdesk")
        page.fill("input[name=password]", "pw")
        page.press("input[name=password]", "Enter")  # the button's label is in the page's language
        page.wait_for_url(f"{base}/customers/")
        page.fill("#desk-q", "4817")
        page.locator(".customer-result", has_text="刘洋").wait_for()
        results = page.locator(".customer-result")
        assert results.count() == 2
        text = page.inner_text("#search-results")
        assert "135 **** 4817" in text and "139 **** 4817" in text and "钱进" not in text
        assert hint in page.inner_text("#search-masked-hint")
        page.screenshot(path=str(SHOTS / f"desk-suffix-{width}.png"), full_page=True)
        # the right one is picked by name and region
        page.locator(".customer-result", has_text="张伟").click()
        page.wait_for_url(f"{base}/customers/{zhang.pk}/")
        context.close()
