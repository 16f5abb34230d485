"""The API docs page (Swagger UI from our static files) works in Chromium under the Content-Security-Policy:
no violations, no script errors, every operation listed, and "Try it out" with a token reaches the API."""
import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from api.services import token_create
from tests.api.conftest import ALL_SCOPES
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("SHOTS_DIR", "/tmp/shots/api"))

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", e =>
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`));
"""


def test_docs_page_works_under_the_csp(live_server, browser, customer_factory):
    # given a signed-in front-desk user (session cookie from the test client) and a token
    user = make_user("desk", "frontdesk")
    client = Client()
    client.force_login(user)
    issued = token_create(name="Docs", scopes=ALL_SCOPES, created_by=user)
    customer_factory(name="王芳", phone="13812345678")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(WATCH)
    host = live_server.url.split("//")[1].split(":")[0]
    context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME,
                          "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                          "domain": host, "path": "/"}])
    page = context.new_page()
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
    try:
        # when
        response = page.goto(f"{live_server.url}/api/v1/docs/")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_selector(".opblock", timeout=20000)
        # then every operation is listed
        summaries = page.locator(".opblock-summary-path").all_inner_texts()
        assert "/api/v1/tickets/{id}/status/" in [s.replace("\u200b", "") for s in summaries]
        # and Authorize + Try it out on the phone lookup reaches the API with the token
        page.click("button.authorize")
        page.fill(".modal-ux input[type=text], .modal-ux input:not([type])", issued.secret)
        page.click(".modal-ux button.authorize")
        page.click(".modal-ux button.btn-done")
        block = page.locator("#operations-customers-customers_list")
        block.locator(".opblock-summary").click()
        block.locator("button.try-out__btn").click()
        block.locator("input[placeholder=phone]").fill("138 1234 5678")
        block.locator("button.execute").click()
        page.wait_for_selector("#operations-customers-customers_list .live-responses-table .response-col_status",
                               timeout=10000)
        status = block.locator(".live-responses-table .response .response-col_status").first.inner_text()
        assert status.strip() == "200", status
        assert "王芳" in block.locator(".live-responses-table").inner_text()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "docs.png"), full_page=False)
        problems += page.evaluate("window.__csp")
        assert not problems, problems
    finally:
        context.close()
