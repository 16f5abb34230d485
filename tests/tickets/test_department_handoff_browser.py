"""Issue 17: a supervisor hands a complaint to a department whose head accepts it on a phone (360 px)."""
import os
from decimal import Decimal

import pytest

from servicedesk.models import Team
from tests.tickets.test_complaint_journey_browser import act, shot, sign_in
from tickets.models import ComplaintHandoff, Department, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("SHOTS_DIR", "/tmp/shots/accounts")


@pytest.fixture
def world(personas, customer_factory):
    from tickets.services import ticket_create

    team = Team.objects.create(name="Complaints", supervisor=personas.supervisor)
    dept = Department.objects.create(name="质量部", name_en="Quality", head=personas.technician,
                                     accept_hours=Decimal("4"), findings_hours=Decimal("8"))
    ticket = ticket_create(customer=customer_factory(name="Li Na"), kind=Ticket.Kind.COMPLAINT,
                           subject="Wrong part fitted", created_by=personas.frontdesk, team=team,
                           assignee=personas.agent)
    return {"ticket": ticket, "dept": dept}


def test_supervisor_hands_a_complaint_to_a_department_whose_head_accepts_it_on_a_phone(browser, live_server,
                                                                                      personas, world):
    ticket, dept = world["ticket"], world["dept"]
    url = live_server.url + f"/tickets/{ticket.pk}/"
    # the supervisor, at a desk, names the responsible department: that hands the complaint over
    sup = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    sign_in(sup, live_server, "supervisor")
    sup.goto(url)
    act(sup, "complaint_classify", lambda f: (f.locator("select[name$=category]").select_option("quality"),
                                              f.locator("select[name$=department]").select_option(str(dept.pk))))
    assert "Awaiting acceptance" in sup.locator("#handoffs").inner_text()

    # the head, a technician on a phone, hears of it, finds it in their department's list and accepts it
    phone = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True).new_page()
    sign_in(phone, live_server, "technician")
    assert phone.locator("#bell-count").inner_text() == "1"
    phone.goto(live_server.url + "/notifications/")
    assert "was handed to Quality" in phone.content()
    phone.goto(live_server.url + "/tickets/complaints/departments/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 361, "the list scrolls sideways on a phone"
    shot(phone, "department-list-360.png")
    with phone.expect_navigation():
        phone.click(f"text={ticket.number}")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 361, "the ticket scrolls sideways on a phone"
    act(phone, "handoff_accept", lambda f: None)
    assert "You accepted the complaint for Quality." in phone.content()
    assert phone.locator("#handoffs .handoff-state").first.inner_text() == "Accepted"
    shot(phone, "department-accepted-360.png")

    # the complaint shows it accepted, for the supervisor too, and the accept clock stopped in time
    handoff = ComplaintHandoff.objects.get(ticket=ticket)
    assert (handoff.state, handoff.responded_by) == ("accepted", personas.technician)
    assert handoff.sla_clocks.get(target="dept_accept").met is True
    sup.goto(url)
    assert "Accepted" in sup.locator("#handoffs").inner_text()
