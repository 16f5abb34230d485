"""Issue 19: an agent answers a ticket with a canned reply by keyboard only — "/" in the empty reply
box, type to search, ↓ and Enter to insert it filled in for this customer, Tab to Send, Enter — and the
macro's actions run with the reply. Screenshots of the reply box and the canned-reply pages
(1366 px and 360 px, English and Chinese)."""
import os

import pytest
from playwright.sync_api import expect

from macros.models import Macro
from macros.services import macro_save
from tickets.models import Ticket, TicketReply
from tickets.services import tag_create, ticket_create

from ..keyboard import sign_in_by_keyboard, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("SHOTS_DIR", "/tmp/shots/macros")


def shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


@pytest.fixture
def world(personas, customer_factory):
    personas.supervisor  # signs in below
    parts = tag_create(name="parts", actor=personas.manager)
    for i in range(3):
        macro_save(macro=Macro(name=f"Greeting {i}", text_en="{greeting}, hello", text_zh="{greeting}，您好"),
                   actor=personas.manager, shared=True)
    macro = macro_save(macro=Macro(
        name="Part ordered", set_status=Ticket.Status.WAITING,
        text_zh="{greeting}，您好！{number}所需配件已订购，{agent}会尽快联系您。",
        text_en="{greeting}, the part for {number} is on order; {agent} will call you as soon as it arrives."),
        actor=personas.manager, tags=[parts], shared=True)
    ticket = ticket_create(customer=customer_factory(name="Wang Fang", preferred_language="en",
                                                     email="wang@example.com"),
                           kind=Ticket.Kind.REPAIR, subject="Boiler leaks", created_by=personas.frontdesk,
                           assignee=personas.agent)
    return {"ticket": ticket, "macro": macro}


def test_agent_answers_with_a_canned_reply_by_keyboard_only(browser, live_server, personas, world):
    ticket = world["ticket"]
    page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US").new_page()
    page.set_default_timeout(20_000)
    sign_in_by_keyboard(page, live_server, "agent")
    page.goto(live_server.url + f"/tickets/{ticket.pk}/")

    # the skip link is the first stop, then Tab on to the reply box
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
    tab_to(page, "textarea[name='reply-body']")
    page.keyboard.type("/")
    search = page.locator("[data-macro-search]")
    assert search.is_visible() and page.evaluate("document.activeElement.matches('[data-macro-search]')")
    page.keyboard.type("part")
    page.keyboard.press("Enter")  # at once: the picker waits for the list of what was typed
    body = page.locator("textarea[name='reply-body']")
    expect(body).not_to_have_value("")
    text = body.input_value()
    assert text == (f"Dear Wang Fang, the part for {ticket.number} is on order; Agent will call you as soon as "
                    "it arrives.")
    chip = page.locator("[data-macro-chip]")
    shot(page, "reply-chip-1366-en-before.png")
    assert chip.is_visible() and "status → Waiting on customer" in chip.inner_text() and "tag +parts" in chip.inner_text()
    assert page.evaluate("document.activeElement.matches(\"textarea[name='reply-body']\")")  # back in the box
    page.keyboard.type(" Thank you for your patience.")
    shot(page, "reply-chip-1366-en.png")
    tab_to(page, "#reply button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # then the reply went out as written and the macro's actions ran
    assert "Macro “Part ordered” applied: status → Waiting on customer, +parts." in page.content()
    reply = TicketReply.objects.get(ticket=ticket)
    assert reply.body == text + " Thank you for your patience." and reply.public
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING
    assert list(ticket.tags.values_list("name", flat=True)) == ["parts"]
    assert Macro.objects.get(pk=world["macro"].pk).use_count == 1

    # Escape closes the picker and gives the box back
    tab_to(page, "textarea[name='reply-body']")
    page.keyboard.type("/")
    search.wait_for(state="visible")
    page.keyboard.type("hello")  # found in the text, not only the name
    expect(page.locator("[data-macro-results] [role=option]")).to_have_count(3)
    shot(page, "reply-picker-1366-en.png")
    page.keyboard.press("Escape")
    assert page.locator("#macro-picker").is_hidden()
    assert page.evaluate("document.activeElement.matches(\"textarea[name='reply-body']\")")


def test_canned_reply_pages_look_right_in_both_languages_and_on_a_phone(browser, live_server, personas, world):
    for lang, locale in (("en", "en-US"), ("zh-hans", "zh-CN")):
        for width in (1366, 360):
            context = browser.new_context(viewport={"width": width, "height": 800}, locale=locale)
            context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
            page = context.new_page()
            sign_in_by_keyboard(page, live_server, "agent" if width == 360 else "manager")
            page.goto(live_server.url + "/replies/")
            assert page.locator("main table").count() == 1
            assert ("Part ordered" in page.content())
            if lang == "zh-hans":
                assert "快捷回复与宏" in page.content()
            shot(page, f"replies-list-{width}-{lang}.png")
            page.goto(live_server.url + f"/replies/{world['macro'].pk}/edit/" if width == 1366
                      else live_server.url + "/replies/new/")
            shot(page, f"replies-edit-{width}-{lang}.png")
            page.goto(live_server.url + f"/tickets/{world['ticket'].pk}/")
            page.locator("[data-macro-open]").click()
            page.locator("[data-macro-results] [role=option]").first.wait_for()
            shot(page, f"ticket-picker-{width}-{lang}.png")
            page.goto(live_server.url + "/tickets/tags/")
            shot(page, f"tags-{width}-{lang}.png")
            context.close()


def test_two_people_on_one_ticket_see_each_other_and_a_late_reply_is_flagged(browser, live_server, personas, world):
    ticket = world["ticket"]
    url = live_server.url + f"/tickets/{ticket.pk}/"
    agent = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US").new_page()
    sup = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US").new_page()
    sign_in_by_keyboard(agent, live_server, "agent")
    sign_in_by_keyboard(sup, live_server, "supervisor")
    agent.goto(url)
    sup.goto(url)
    # each sees the other within a few seconds
    expect(agent.locator("#presence")).to_contain_text("Supervisor is viewing this ticket.", timeout=12_000)
    expect(sup.locator("#presence")).to_contain_text("Agent is viewing this ticket.", timeout=12_000)
    # the agent starts writing: the supervisor sees it
    agent.locator("textarea[name='reply-body']").fill("Checking with the warehouse")
    expect(sup.locator("#presence")).to_contain_text("Agent is writing a reply on this ticket.", timeout=12_000)
    # the supervisor sends first; the agent is warned before sending
    sup.locator("textarea[name='reply-body']").fill("The part arrives tomorrow.")
    with sup.expect_navigation():
        sup.locator("#reply button[type=submit]").click()
    expect(agent.locator("#presence [data-new-reply]")).to_be_visible(timeout=12_000)
    shot(agent, "collision-warning-1366-en.png")
    asked = []
    agent.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    agent.locator("#reply button[type=submit]").click()
    agent.wait_for_timeout(500)
    assert asked and "A new reply arrived" in asked[0]
    assert TicketReply.objects.filter(ticket=ticket).count() == 1  # cancelled: nothing sent
    # sent anyway after the question: the page's version is stale, so the safety net keeps the text
    agent.once("dialog", lambda d: d.accept())
    with agent.expect_navigation():
        agent.locator("#reply button[type=submit]").click()
    assert "Someone else changed this ticket" in agent.content()
    assert agent.locator("textarea[name='reply-body']").input_value() == "Checking with the warehouse"
