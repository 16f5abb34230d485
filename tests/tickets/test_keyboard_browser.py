"""Issue 19 item 5: the common moves without a mouse — j/k through the list, Enter to open, t to take
it, r/n into the reply box, s to the status panel, j to the next ticket of the list, ? for the list of
shortcuts; and nothing fires while typing in a field."""
import pytest
from playwright.sync_api import expect

from tickets.models import Ticket
from tickets.services import ticket_create

from ..keyboard import focused, sign_in_by_keyboard as sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_works_the_list_by_keyboard(browser, live_server, personas, customer_factory):
    customer = customer_factory(name="Li Lei")
    tickets = [ticket_create(customer=customer, kind=Ticket.Kind.REPAIR, subject=f"Fault {i}",
                             created_by=personas.frontdesk) for i in range(3)]
    personas.agent
    page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US").new_page()
    page.set_default_timeout(20_000)
    sign_in(page, live_server, "agent")
    page.goto(live_server.url + "/tickets/")
    # newest first: j lands on the first row, j again on the second; Enter opens it
    page.keyboard.press("j")
    page.keyboard.press("j")
    second = tickets[1]
    assert focused(page, f"a[href='/tickets/{second.pk}/']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/tickets/{second.pk}/")
    # ? shows the shortcuts; Escape closes them
    page.keyboard.press("?")
    expect(page.locator("#shortcuts-help")).to_be_focused()  # shown, and the focus is in the dialog
    page.keyboard.press("Escape")
    expect(page.locator("#shortcuts-help")).to_be_hidden()
    # t takes it
    with page.expect_navigation():
        page.keyboard.press("t")
    assert "You took this ticket." in page.content()
    assert Ticket.objects.get(pk=second.pk).assignee_id == personas.agent.pk
    # n goes to the reply box with "internal note" chosen; keys typed there are text, not shortcuts
    page.keyboard.press("n")
    assert focused(page, "textarea[name='reply-body']")
    assert page.locator("input[name='reply-public'][value='0']").is_checked()
    page.keyboard.type("jk ts")
    assert page.locator("textarea[name='reply-body']").input_value() == "jk ts"
    assert page.url.endswith(f"/tickets/{second.pk}/")
    page.keyboard.press("Tab")  # leave the box
    page.locator("textarea[name='reply-body']").fill("")
    page.evaluate("document.activeElement.blur()")
    # s opens the status panel with its field focused
    page.keyboard.press("s")
    expect(page.locator("#act-status select")).to_be_focused()
    page.evaluate("document.activeElement.blur()")
    # j: the next ticket of the list this one was opened from (the oldest, third row)
    with page.expect_navigation():
        page.keyboard.press("j")
    assert page.url.endswith(f"/tickets/{tickets[0].pk}/")
    # / on the list goes to its search box
    page.goto(live_server.url + "/tickets/")
    page.keyboard.press("/")
    assert focused(page, "#id_q")
