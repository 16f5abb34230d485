from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Asset, Contact, Customer, CustomerEvent
from customers.services import asset_create, contact_log, customer_merge, customer_update

pytestmark = pytest.mark.django_db


def test_page_shows_details_assets_first_contact_and_one_timeline(client_for, customer_factory, ticket_for, personas):
    # given
    c = customer_factory(name="王芳", phone="13812345678", channel="walk_in", address="中关村大街 1号")
    asset_create(customer=c, created_by=personas.frontdesk, product="Air conditioner", model="KFR-35GW", serial_number="SN1",
                 install_date=date.today() - timedelta(days=10), warranty_end=date.today() + timedelta(days=700))
    asset_create(customer=c, created_by=personas.frontdesk, product="Printer", model="LJ-2200",
                 install_date=date(2020, 1, 1), warranty_end=date(2021, 1, 1))
    contact_log(handled_by=personas.frontdesk, channel="phone", customer=c, notes="asked about filters")
    ticket = ticket_for(c, subject="Leaking unit")
    # when
    body = client_for("agent").get(reverse("customers:detail", args=[c.pk])).content.decode()
    # then
    for text in ("王芳", "+8613812345678", "中关村大街 1号", "KFR-35GW", "In warranty", "Out of warranty", "Walk-in",
                 "asked about filters", ticket.number, "Leaking unit", "Asset added", "Created"):
        assert text in body, text
    # newest first: the ticket was opened last
    assert body.index(ticket.number) < body.index("asked about filters")


def test_script_in_notes_is_escaped(client_for, customer_factory, personas):
    c = customer_factory(name="<b>Bold</b>", notes="<script>alert(1)</script>")
    contact_log(handled_by=personas.frontdesk, channel="phone", customer=c, notes="<script>alert(2)</script>")
    body = client_for("frontdesk").get(reverse("customers:detail", args=[c.pk])).content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "&lt;script&gt;alert(2)&lt;/script&gt;" in body
    assert "&lt;b&gt;Bold&lt;/b&gt;" in body


def test_merged_customer_page_redirects_to_survivor(client_for, customer_factory, personas):
    a, b = customer_factory(name="A"), customer_factory(name="B")
    customer_merge(survivor=a, duplicate=b, merged_by=personas.supervisor)
    response = client_for("frontdesk").get(reverse("customers:detail", args=[b.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("customers:detail", args=[a.pk])


def test_unknown_customer_is_404(client_for):
    assert client_for("frontdesk").get(reverse("customers:detail", args=[999999])).status_code == 404


@pytest.mark.parametrize("rows", [1, 30])
def test_customer_page_runs_a_fixed_number_of_queries(rows, client_for, customer_factory, ticket_for, personas, django_assert_max_num_queries):
    # given `rows` contacts, tickets, assets and events
    c = customer_factory(name="Busy")
    for i in range(rows):
        asset_create(customer=c, created_by=personas.frontdesk, product=f"P{i}")
        contact = contact_log(handled_by=personas.agent, channel="phone", customer=c)
        ticket_for(c, contact=contact)
    client = client_for("frontdesk")
    client.get(reverse("customers:desk"))
    # when / then
    with django_assert_max_num_queries(16):
        response = client.get(reverse("customers:detail", args=[c.pk]))
    assert response.status_code == 200
    assert response.content.decode().count('<li class="timeline-') == min(20, 3 * rows + 1)


def test_timeline_is_paginated(client_for, customer_factory, personas):
    c = customer_factory(name="Many")
    base = timezone.now() - timedelta(days=1)
    Contact.objects.bulk_create(
        Contact(customer=c, channel="phone", handled_by=personas.frontdesk, started_at=base + timedelta(minutes=i), notes=f"note-{i:02d}")
        for i in range(45)
    )
    client = client_for("frontdesk")
    page1 = client.get(reverse("customers:detail", args=[c.pk])).content.decode()
    page3 = client.get(reverse("customers:detail", args=[c.pk]), {"page": 3}).content.decode()
    # the creation event (just now) comes first, then the 45 contacts newest first, 20 a page
    assert "Created" in page1 and "note-44" in page1 and "note-26" in page1 and "note-25" not in page1
    assert "note-05" in page3 and "note-00" in page3 and "note-06" not in page3


def test_edit_logs_before_and_after(client_for, customer_factory, region):
    c = customer_factory(name="Old name", phone="13812345678")
    client = client_for("frontdesk")
    response = client.post(reverse("customers:edit", args=[c.pk]), {
        "kind": "person", "name": "New name", "phone1": "13812345678", "label1": "mobile", "phone2": "010-12345678",
        "label2": "landline", "phone3": "", "label3": "office", "email": "new@example.com", "address": "", "region": region.pk,
        "tier": "gold", "notes": "",
    })
    assert response.status_code == 302
    c.refresh_from_db()
    assert (c.name, c.tier, c.region, c.email) == ("New name", "gold", region, "new@example.com")
    event = CustomerEvent.objects.get(customer=c, kind="updated")
    assert event.actor.username == "frontdesk"
    assert event.data["changes"]["name"] == ["Old name", "New name"]
    assert event.data["changes"]["tier"] == ["basic", "gold"]
    assert event.data["changes"]["phones"] == [["+8613812345678"], sorted(["+8613812345678", "+861012345678"])]
    body = client.get(reverse("customers:detail", args=[c.pk])).content.decode()
    assert "Old name" in body and "New name" in body


def test_edit_refuses_a_phone_of_another_customer(client_for, customer_factory):
    other = customer_factory(name="Other", phone="13900000001")
    c = customer_factory(name="Me", phone="13812345678")
    response = client_for("frontdesk").post(reverse("customers:edit", args=[c.pk]), {
        "kind": "person", "name": "Me", "phone1": "13812345678", "label1": "mobile", "phone2": "139 0000 0001",
        "label2": "mobile", "phone3": "", "label3": "office", "tier": "basic",
    })
    assert response.status_code == 200
    assert reverse("customers:detail", args=[other.pk]) in response.content.decode()
    assert c.phones.count() == 1


def test_only_a_supervisor_changes_the_owner_and_it_is_logged(client_for, customer_factory, personas):
    c = customer_factory(name="Owned")
    assert client_for("frontdesk").get(reverse("customers:owner", args=[c.pk])).status_code == 403
    client = client_for("supervisor")
    response = client.post(reverse("customers:owner", args=[c.pk]), {"owner": personas.agent.pk, "reason": "Agent handles key accounts"})
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.owner == personas.agent and c.first_contact_by == personas.frontdesk
    event = CustomerEvent.objects.get(customer=c, kind="owner_changed")
    assert event.actor == personas.supervisor and event.data["reason"] == "Agent handles key accounts"


def test_assets_add_and_edit_with_warranty_rule(client_for, customer_factory):
    c = customer_factory(name="Owner of things")
    client = client_for("frontdesk")
    bad = client.post(reverse("customers:asset_create", args=[c.pk]), {
        "product": "Water heater", "install_date": "2026-05-01", "warranty_end": "2026-04-01"})
    assert bad.status_code == 200 and "The warranty cannot end before the install date." in bad.content.decode()
    ok = client.post(reverse("customers:asset_create", args=[c.pk]), {
        "product": "Water heater", "model": "JSQ-16", "serial_number": "SN42", "install_date": "2026-05-01", "warranty_end": "2028-05-01"})
    assert ok.status_code == 302
    asset = Asset.objects.get(customer=c)
    edit = client.post(reverse("customers:asset_edit", args=[asset.pk]), {
        "product": "Water heater", "model": "JSQ-20", "serial_number": "SN42", "install_date": "2026-05-01", "warranty_end": "2028-05-01"})
    assert edit.status_code == 302
    asset.refresh_from_db()
    assert asset.model == "JSQ-20"
    event = CustomerEvent.objects.get(customer=c, kind="asset_updated")
    assert event.data["changes"] == {"model": ["JSQ-16", "JSQ-20"]}


def test_customer_update_service_rejects_unknown_fields(customer_factory, personas):
    c = customer_factory()
    with pytest.raises(TypeError):
        customer_update(customer=c, updated_by=personas.frontdesk, owner=personas.agent)
