"""Helpers for browser tests (issue 19): a signed-in page in a language and a width, and a screenshot."""
import os


def signed_in_page(browser, live_server, username: str, *, lang: str = "en", width: int = 1366, password="pw"):
    """A new browser context at ``width`` px in ``lang`` ("en" or "zh-hans"), signed in as ``username``."""
    locale = "zh-CN" if lang == "zh-hans" else "en-US"
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale)
    context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(live_server.url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    return page


def shot(page, folder: str, name: str) -> None:
    """A full-page screenshot in SHOTS_DIR (default /tmp/shots/<folder>)."""
    path = os.environ.get("SHOTS_DIR", f"/tmp/shots/{folder}")
    os.makedirs(path, exist_ok=True)
    page.screenshot(path=os.path.join(path, name), full_page=True)
