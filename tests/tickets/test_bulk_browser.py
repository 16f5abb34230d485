"""Issue 19 item 2 in the browser: a supervisor ticks tickets (or every one on the page), chooses a change
in the bulk bar, confirms, and lands on the result with its progress, refusals and Undo."""
import os

import pytest
from playwright.sync_api import expect

from tickets.models import BulkAction, Ticket
from tickets.services import ticket_create, ticket_transition

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("SHOTS_DIR", "/tmp/shots/bulk")


def shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def test_supervisor_changes_the_ticked_tickets_and_undoes_it(browser, live_server, personas, customer_factory):
    customer = customer_factory(name="Zhao Lei")
    tickets = [ticket_create(customer=customer, kind=Ticket.Kind.REPAIR, subject=f"Leak {i}",
                             created_by=personas.frontdesk) for i in range(4)]
    ticket_transition(ticket=tickets[0], to_status=Ticket.Status.CANCELLED, actor=personas.agent, reason="dup")
    personas.supervisor
    for lang, locale in (("en", "en-US"), ("zh-hans", "zh-CN")):
        for width in (1366, 360):
            context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale)
            context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
            page = context.new_page()
            page.set_default_timeout(20_000)
            page.goto(live_server.url + "/login/")
            page.fill("input[name=username]", "supervisor")
            page.fill("input[name=password]", "pw")
            with page.expect_navigation():
                page.click("main form button[type=submit]")
            page.goto(live_server.url + "/tickets/?status=")
            page.locator("#bulk-open").click()
            expect(page.locator("#bulk-form")).to_be_visible()
            shot(page, f"list-bulk-bar-{width}-{lang}.png")
            context.close()
    # the journey, in English on a desktop
    page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US").new_page()
    page.set_default_timeout(20_000)
    page.goto(live_server.url + "/login/")
    page.fill("input[name=username]", "supervisor")
    page.fill("input[name=password]", "pw")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    page.goto(live_server.url + "/tickets/?status=")
    page.locator("[data-select-all]").check()  # every ticket on the page, the cancelled one too
    expect(page.locator("#bulk-form")).to_be_visible()
    assert page.locator("input[name=ids]:checked").count() == 4
    page.select_option("#bulk-action", f"priority:{Ticket.Priority.URGENT}")
    page.once("dialog", lambda d: d.accept())
    with page.expect_navigation():
        page.locator("#bulk-form button[type=submit]").click()
    expect(page.locator("#bulk-progress")).to_contain_text("4 of 4 tickets processed.")
    job = BulkAction.objects.get()
    assert len(job.changed) == 3 and len(job.refused) == 1  # a cancelled ticket is not re-prioritised
    assert tickets[0].number in page.locator("#bulk-progress").inner_text()
    shot(page, "bulk-result-1366-en.png")
    page.once("dialog", lambda d: d.accept())
    with page.expect_navigation():
        page.locator("text=Undo this bulk change").click()
    expect(page.locator("#bulk-progress")).to_contain_text("3 of 3 tickets processed.")
    assert set(Ticket.objects.values_list("priority", flat=True)) == {Ticket.Priority.NORMAL}
