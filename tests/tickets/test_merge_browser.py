"""Issue 19 item 7 in the browser: an agent on the customer's second-call ticket links it to an outage and
merges it into the first ticket; the survivor's page shows the merge and the link. Screenshots at 1366 px
and 360 px, English and Chinese."""
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tickets.models import Ticket
from tickets.services import ticket_create

from ..pages import shot, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_links_and_merges_a_duplicate(browser, live_server, personas, customer_factory):
    personas.agent
    now = timezone.now()
    for lang, width in (("en", 1366), ("zh-hans", 360)):
        customer = customer_factory(name="Wang Fang")
        first = ticket_create(customer=customer, kind=Ticket.Kind.REPAIR, subject="Heater not working",
                              created_by=personas.frontdesk, now=now - timedelta(hours=2))
        second = ticket_create(customer=customer, kind=Ticket.Kind.REPAIR, subject="Called again about the heater",
                               created_by=personas.frontdesk, now=now - timedelta(hours=1))
        outage = ticket_create(customer=customer_factory(name="Block 3"), kind=Ticket.Kind.REPAIR,
                               subject="Block 3 heating outage", created_by=personas.frontdesk)
        page = signed_in_page(browser, live_server, "agent", lang=lang, width=width)
        page.goto(live_server.url + f"/tickets/{second.pk}/")

        # link: the outage is the parent of this report
        page.locator("button[data-bs-target='#act-link']").click()
        page.locator("input[name='link-number']").fill(outage.number)
        page.locator("input[name='link-role'][value='parent']").check()
        with page.expect_navigation():
            page.locator("#act-link button[type=submit]").click()
        expect(page.locator("#ticket-links")).to_contain_text(outage.number)

        # merge: the panel lists the customer's other open repair and what would move
        page.locator("button[data-bs-target='#act-merge']").click()
        panel = page.locator("#act-merge")
        expect(panel.locator("input[name='merge-into']")).to_have_count(1)
        expect(panel).to_contain_text(first.number)
        panel.locator("input[name='merge-into']").check()
        panel.locator("input[name='merge-confirm']").check()
        shot(page, "merge", f"merge-panel-{width}-{lang}.png")
        with page.expect_navigation():
            panel.locator("button[type=submit]").click()

        # then: on the survivor, with the link and the merge on its timeline
        assert page.url.endswith(f"/tickets/{first.pk}/")
        expect(page.locator(".alert-success")).to_contain_text(second.number)
        expect(page.locator("#ticket-links")).to_contain_text(outage.number)
        expect(page.locator("#timeline")).to_contain_text(second.number)
        shot(page, "merge", f"merge-survivor-{width}-{lang}.png")
        page.goto(live_server.url + f"/tickets/{second.pk}/")
        expect(page.locator("#merged-into a")).to_have_text(first.number)
        shot(page, "merge", f"merge-duplicate-{width}-{lang}.png")
        second.refresh_from_db()
        assert second.merged_into_id == first.pk and second.status == Ticket.Status.CANCELLED
        page.context.close()
