import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from customers.models import Contact, CustomerExport
from customers.selectors import intake_tallies
from customers.services import contact_log

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def test_log_an_anonymous_walk_in_from_the_desk(client_for, personas):
    client = client_for("frontdesk")
    form = client.get(reverse("customers:contact_create"), {"channel": "walk_in", "q": "138 1234"}).content.decode()
    assert 'value="138 1234"' in form  # what was typed on the desk becomes the caller's phone
    response = client.post(reverse("customers:contact_create"), {
        "caller_name": "Mr Liu", "caller_phone": "", "channel": "walk_in", "direction": "in", "purpose": "inquiry",
        "notes": "asked for opening hours", "started_at": "2026-11-23T09:00", "ended_at": "2026-11-23T09:03"})
    assert response.status_code == 302 and response["Location"] == reverse("customers:desk")
    contact = Contact.objects.get()
    assert (contact.customer, contact.caller_name, contact.handled_by, contact.channel) == (None, "Mr Liu", personas.frontdesk, "walk_in")
    assert contact.started_at == datetime(2026, 11, 23, 9, 0, tzinfo=SH)


def test_desk_lists_what_i_logged_today_only(client_for, personas, customer_factory):
    c = customer_factory(name="Today's caller")
    contact_log(handled_by=personas.frontdesk, channel="phone", customer=c)
    contact_log(handled_by=personas.frontdesk, channel="walk_in", caller_name="Anonymous Liu")
    contact_log(handled_by=personas.agent, channel="phone", caller_name="Someone else's")
    body = client_for("frontdesk").get(reverse("customers:desk")).content.decode()
    assert "Today&#x27;s caller" in body and "Anonymous Liu" in body
    assert "Someone else" not in body


def test_contact_without_customer_or_caller_is_refused(client_for):
    response = client_for("frontdesk").post(reverse("customers:contact_create"), {
        "channel": "phone", "direction": "in", "purpose": "inquiry", "started_at": "2026-11-23T09:00"})
    assert response.status_code == 200
    assert "Choose a customer, or note the caller" in response.content.decode()
    assert not Contact.objects.exists()


def test_contact_end_before_start_is_refused(client_for, customer_factory):
    c = customer_factory()
    response = client_for("frontdesk").post(reverse("customers:contact_create"), {
        "customer": c.pk, "channel": "phone", "direction": "in", "purpose": "inquiry",
        "started_at": "2026-11-23T09:00", "ended_at": "2026-11-23T08:00"})
    assert response.status_code == 200 and "The end cannot be before the start." in response.content.decode()


def test_save_and_open_a_ticket_goes_to_the_ticket_form(client_for, customer_factory):
    c = customer_factory()
    client = client_for("frontdesk")
    form = client.get(reverse("customers:contact_create"), {"customer": c.pk}).content.decode()
    assert 'name="save_ticket"' in form
    response = client.post(reverse("customers:contact_create"), {
        "customer": c.pk, "channel": "phone", "direction": "in", "purpose": "repair", "notes": "AC leaking",
        "started_at": "2026-11-23T09:00", "save_ticket": "1"})
    contact = Contact.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:create") + f"?customer={c.pk}&contact={contact.pk}"


def test_plain_save_from_customer_page_returns_there(client_for, customer_factory):
    c = customer_factory()
    response = client_for("agent").post(reverse("customers:contact_create"), {
        "customer": c.pk, "channel": "phone", "direction": "out", "purpose": "follow_up", "started_at": "2026-11-23T09:00"})
    assert response.status_code == 302 and response["Location"] == reverse("customers:detail", args=[c.pk])


@pytest.fixture
def boundary_contacts(personas):
    """Contacts around the start of December 2026 (Tuesday 1 Dec; the week began Monday 30 Nov)."""
    def at(*args):
        return datetime(*args, tzinfo=SH)

    rows = [
        (at(2026, 11, 29, 23, 30), "walk_in", "repair", personas.frontdesk),  # previous week and month
        (at(2026, 11, 30, 23, 30), "walk_in", "repair", personas.frontdesk),  # this week, last month (15:30 UTC)
        (at(2026, 12, 1, 0, 10), "phone", "inquiry", personas.frontdesk),  # today (still 30 Nov in UTC!)
        (at(2026, 12, 1, 9, 0), "phone", "complaint", personas.agent),
        (at(2026, 12, 1, 9, 30), "walk_in", "inquiry", personas.agent),
    ]
    for started, channel, purpose, who in rows:
        contact_log(handled_by=who, channel=channel, purpose=purpose, caller_name="x", started_at=started)


def test_intake_tallies_match_hand_counts_in_department_time(boundary_contacts, personas):
    now = datetime(2026, 12, 1, 10, 0, tzinfo=SH)
    t = intake_tallies(user=personas.frontdesk, now=now)
    assert t.totals == {"today": 3, "week": 4, "month": 3}
    assert t.walk_ins == {"today": 1, "week": 2, "month": 1}
    assert t.calls == {"today": 2, "week": 2, "month": 2}
    purposes = {v: c for v, _l, c in t.by_purpose}
    assert purposes["repair"] == {"today": 0, "week": 1, "month": 0}
    assert purposes["inquiry"] == {"today": 2, "week": 2, "month": 2}
    assert purposes["complaint"] == {"today": 1, "week": 1, "month": 1}
    assert t.mine == {"today": 1, "week": 2, "month": 1}
    assert t.by_person is None


def test_intake_week_reaching_into_last_month(personas):
    # 2026-11-02 is a Monday; on Sunday 1 Nov the week began Monday 26 Oct
    contact_log(handled_by=personas.frontdesk, channel="phone", caller_name="x", started_at=datetime(2026, 10, 31, 23, 30, tzinfo=SH))
    t = intake_tallies(user=personas.frontdesk, now=datetime(2026, 11, 1, 8, 0, tzinfo=SH))
    assert t.totals == {"today": 0, "week": 1, "month": 0}


def test_front_desk_sees_own_and_team_but_not_other_people(boundary_contacts, client_for, django_assert_max_num_queries):
    client = client_for("frontdesk")
    with time_machine.travel(datetime(2026, 12, 1, 10, 0, tzinfo=SH), tick=False):
        client.get(reverse("customers:desk"))
        with django_assert_max_num_queries(10):
            response = client.get(reverse("customers:tallies"))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="total-today">3<' in body and 'id="mine-today">1' in body
    assert "By staff member" not in body and "Agent" not in body
    assert "intake-chart" in body and "chart.umd.js" in body


def test_supervisor_sees_per_person_breakdown(boundary_contacts, client_for):
    with time_machine.travel(datetime(2026, 12, 1, 10, 0, tzinfo=SH), tick=False):
        body = client_for("supervisor").get(reverse("customers:tallies")).content.decode()
    assert "By staff member" in body and "Agent" in body and "Frontdesk" in body


def test_export_is_logged_and_filtered(client_for, customer_factory, personas):
    customer_factory(name="王芳", tier="gold")
    customer_factory(name="Basic Bob")
    client = client_for("supervisor")
    response = client.post(reverse("customers:export"), {"tier": "gold"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["ID", "Kind", "Name"] and [r[2] for r in rows[1:]] == ["王芳"]
    log = CustomerExport.objects.get()
    assert (log.exported_by, log.row_count, log.filters["tier"]) == (personas.supervisor, 1, "gold")


def test_export_neutralises_formulas(client_for, customer_factory):
    customer_factory(name="=HYPERLINK(\"http://x\")")
    response = client_for("manager").post(reverse("customers:export"), {})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text)))[1][2].startswith("'=")


def test_front_desk_cannot_export(client_for):
    assert client_for("frontdesk").post(reverse("customers:export"), {}).status_code == 403
    assert not CustomerExport.objects.exists()
