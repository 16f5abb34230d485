"""Every role's main pages work under the Content-Security-Policy (issue 13 item 3).

Loads the demo data, signs in through the login form as each role, walks the pages the role's menu
offers and one level of links below them, and fails on any CSP violation (the browser's
`securitypolicyviolation` event and its console report) or JavaScript error. Then it uses the
behaviours that moved from inline handlers into static/js/servicedesk.js and the charts that moved
into static files. Screenshots go to /tmp/shots/security/.
"""
import os
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from django.utils import timezone

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("SHOTS_DIR", "/tmp/shots/security"))
ROLES = ["frontdesk", "agent", "supervisor", "technician", "manager"]
PAGES_PER_ROLE = 24
# Links not to follow: signing out, downloads, the admin (Django's own pages), language switch.
SKIP = re.compile(r"^/(logout|admin|i18n)/|export|download|\.csv|\.xlsx")

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", e =>
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`));
window.print = () => { window.__printed = true; };
"""


class Watcher:
    """Collects CSP violations and script errors of one browser context, page by page."""

    def __init__(self, page):
        self.page, self.problems = page, []
        page.on("console", lambda m: m.type == "error" and "Content Security Policy" in m.text
                and self.problems.append(f"{page.url}: console: {m.text}"))
        page.on("pageerror", lambda e: self.problems.append(f"{page.url}: script error: {e}"))

    def visit(self, url):
        response = self.page.goto(url)
        try:  # pages that poll (an export in progress) never go quiet: wait a little, not forever
            self.page.wait_for_load_state("networkidle", timeout=3000)
        except PlaywrightTimeout:
            pass
        assert response.status < 500, f"{url} answered {response.status}"
        self.collect()

    def collect(self):
        for v in self.page.evaluate("window.__csp || []"):
            self.problems.append(f"{self.page.url}: {v}")
        self.page.evaluate("window.__csp = []")


@pytest.fixture
def demo(settings, tmp_path):
    settings.DEBUG = True  # the demo loader refuses to run in production
    settings.MEDIA_ROOT = tmp_path
    started = time.monotonic()
    call_command("load_demo", customers=10, verbosity=0)
    print(f"load_demo: {time.monotonic() - started:.1f} s")  # the slow part of this test
    settings.DEBUG = False


@pytest.fixture
def open_page(browser):
    contexts = []

    def _open():
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
        context.add_init_script(WATCH)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        return page

    yield _open
    for context in contexts:
        context.close()


def sign_in(page, base, username):
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo")
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    page.wait_for_load_state("networkidle")
    assert "/login/" not in page.url, f"{username} could not sign in"


def pattern(path):
    return re.sub(r"/\d+(?=/)", "/N", path)


def local_links(page, base, selector="a[href]"):
    hrefs = page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('href'))")
    out = []
    for href in hrefs:
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        parts = urlsplit(href)
        if parts.netloc and f"{parts.scheme}://{parts.netloc}" != base:
            continue
        if parts.path.startswith("/") and not SKIP.search(parts.path + "?" + parts.query):
            out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


def test_every_role_walks_its_pages_and_the_moved_scripts_work_under_the_policy(live_server, demo, open_page):
    # one test: loading the demo data is the slow part, do it once
    SHOTS.mkdir(parents=True, exist_ok=True)
    walk_every_role(live_server.url, open_page)
    use_the_moved_scripts(live_server.url, open_page)


def walk_every_role(base, open_page):
    walked = {}
    problems = []
    for role in ROLES:
        page = open_page()
        watcher = Watcher(page)
        sign_in(page, base, role)
        watcher.collect()
        # the role's menu, then one level of links below each menu page (one URL per pattern)
        menu = list(dict.fromkeys(local_links(page, base, "#mainnav a[href], main a[href]")))
        seen, queue = set(), [(url, 0) for url in menu]
        while queue and len(seen) < PAGES_PER_ROLE:
            url, depth = queue.pop(0)
            key = pattern(urlsplit(url).path)
            if key in seen:
                continue
            seen.add(key)
            watcher.visit(base + url)
            if depth == 0:
                queue += [(link, 1) for link in local_links(page, base, "main a[href]")]
        walked[role] = sorted(seen)
        problems += watcher.problems
    assert problems == [], "\n".join(problems)
    # every role saw several pages, and the pages that moved their scripts/styles were among them
    assert all(len(pages) >= 3 for pages in walked.values()), walked
    every = set().union(*walked.values())
    for expected in ("/customers/", "/tickets/queue/", "/sla/", "/reports/", "/followups/satisfaction/",
                     "/dispatch/board/", "/kb/"):
        assert expected in every, (expected, walked)


def use_the_moved_scripts(base, open_page):
    from followups import services as followups_services
    from followups.models import SurveyInvitation
    from sla.models import BusinessCalendar

    page = open_page()
    watcher = Watcher(page)

    # front desk: the search-as-you-type (htmx) answers
    from customers.models import Customer

    sign_in(page, base, "frontdesk")
    page.fill("#desk-q", Customer.objects.order_by("pk").first().name)
    page.locator("#desk-results .customer-result").first.wait_for()
    watcher.visit(f"{base}/customers/tallies/")
    assert page.evaluate("Object.keys(Chart.instances).length") == 1
    page.screenshot(path=str(SHOTS / "tallies.png"), full_page=True)

    # manager: the charts drawn from static files
    page.context.clear_cookies()
    sign_in(page, base, "manager")
    for url, charts, shot in (("/followups/satisfaction/", 2, "satisfaction"), ("/sla/", 1, "sla-dashboard"),
                              ("/reports/", 1, "reports")):
        watcher.visit(base + url)
        assert page.evaluate("Object.keys(Chart.instances).length") >= charts, url
        page.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)
    watcher.visit(f"{base}/followups/satisfaction/")
    legend = page.evaluate("Chart.getChart('chart-months').data.datasets.map(d => d.label)")
    assert legend == ["CSAT %", "NPS", "Answers"]

    # data-print: the print view's button opens the print dialog
    watcher.visit(f"{base}/reports/print/")
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("window.__printed === true")

    # data-autosubmit: choosing a region on the dispatch board reloads it filtered
    watcher.visit(f"{base}/dispatch/board/")
    region = page.locator("select[name=region] option").nth(1).get_attribute("value")
    with page.expect_navigation():
        page.select_option("select[name=region]", region)
    assert f"region={region}" in page.url

    # data-confirm: removing a calendar date asks first; "cancel" keeps it and the button usable
    calendar = BusinessCalendar.objects.filter(days__isnull=False).distinct().first()
    watcher.visit(f"{base}/sla/calendars/{calendar.pk}/")
    rows = page.locator("form[data-confirm]")
    before = rows.count()
    assert before > 0
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    rows.first.locator("button").click()
    page.wait_for_timeout(300)
    assert asked == ["Remove this date?"] and rows.count() == before
    assert rows.first.locator("button").is_enabled()
    removed = rows.first.get_attribute("action")
    page.once("dialog", lambda d: d.accept())
    with page.expect_navigation():
        rows.first.locator("button").click()
    assert page.locator(f'form[action="{removed}"]').count() == 0  # "OK" removes it

    # the public survey page (its styles moved to survey.css) on a phone-sized window
    invitation = SurveyInvitation.objects.filter(used_at__isnull=True, expires_at__gt=timezone.now()).first()
    assert invitation is not None, "the demo data has an open survey invitation"
    page.context.clear_cookies()
    page.set_viewport_size({"width": 360, "height": 740})
    watcher.visit(f"{base}/followups/s/{followups_services.survey_token(invitation)}/?lang=en")
    assert page.locator(".score-row").first.evaluate("e => getComputedStyle(e).display") == "grid"  # survey.css
    page.screenshot(path=str(SHOTS / "survey.png"), full_page=True)
    watcher.collect()
    assert watcher.problems == [], "\n".join(watcher.problems)
