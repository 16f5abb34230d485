import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from customers.models import Asset, Contact, Customer, CustomerEvent, CustomerPhone
from customers.services import _reverse_foreign_keys, asset_create, contact_log, customer_merge
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def rows_pointing_at(customer) -> dict:
    """Every row in every table that has a FK to this customer (the merge's own discovery is not used)."""
    from django.apps import apps

    counts = {}
    for model in apps.get_models(include_auto_created=True):
        for f in model._meta.concrete_fields:
            if f.is_relation and f.remote_field.model is Customer and f.name != "merged_into":
                n = model._base_manager.filter(**{f.name: customer}).count()
                if n:
                    counts[f"{model._meta.label}.{f.name}"] = n
    return counts


@pytest.fixture
def pair(customer_factory, personas, ticket_for, region):
    survivor = customer_factory(name="王芳", phone="13812345678", address="")
    duplicate = customer_factory(name="王 芳", phone="13812349999", email="wf@example.com", address="中关村大街 1号", region=region,
                                 is_key_account=True)
    # the duplicate has a bit of everything
    asset = asset_create(customer=duplicate, created_by=personas.frontdesk, product="Printer", install_date=date(2025, 1, 1))
    contact = contact_log(handled_by=personas.frontdesk, channel="phone", customer=duplicate, notes="dup call")
    ticket_for(duplicate, asset=asset, contact=contact)
    ticket_for(duplicate, kind="complaint", subject="Late engineer")
    ticket_for(survivor, subject="Survivor's own")
    return survivor, duplicate


def test_merge_moves_every_related_row_and_loses_nothing(pair, personas):
    survivor, duplicate = pair
    before_dup, before_surv = rows_pointing_at(duplicate), rows_pointing_at(survivor)
    expected = {k: before_dup.get(k, 0) + before_surv.get(k, 0) for k in set(before_dup) | set(before_surv)}
    # when
    summary = customer_merge(survivor=survivor, duplicate=duplicate, merged_by=personas.supervisor)
    # then: nothing points at the duplicate any more except its own MERGED event
    after_dup = rows_pointing_at(duplicate)
    assert after_dup == {"customers.CustomerEvent.customer": 1}
    after_surv = rows_pointing_at(survivor)
    expected["customers.CustomerEvent.customer"] += 1  # the survivor's MERGED event
    assert after_surv == expected
    assert Ticket.objects.filter(customer=survivor).count() == 3
    assert set(CustomerPhone.objects.filter(customer=survivor).values_list("number", flat=True)) == {"+8613812345678", "+8613812349999"}
    assert Asset.objects.filter(customer=survivor).count() == 1 and Contact.objects.filter(customer=survivor).count() == 1
    # empty fields filled, flags kept, duplicate tombstoned
    survivor.refresh_from_db()
    duplicate.refresh_from_db()
    assert (survivor.email, survivor.address, survivor.is_key_account) == ("wf@example.com", "中关村大街 1号", True)
    assert survivor.region is not None
    assert duplicate.merged_into == survivor
    # logged on both, with counts
    s_event = CustomerEvent.objects.get(customer=survivor, kind="merged")
    d_event = CustomerEvent.objects.get(customer=duplicate, kind="merged")
    assert s_event.actor == personas.supervisor == d_event.actor
    assert s_event.data["moved"]["tickets.Ticket"] == 2 and s_event.data["moved"]["customers.CustomerPhone"] == 1
    assert summary["moved"] == s_event.data["moved"]


def test_discovery_covers_every_fk_to_customer_including_hidden_ones():
    from django.apps import apps

    found = {(m._meta.label, f.name) for m, f in _reverse_foreign_keys()}
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if f.is_relation and f.remote_field.model is Customer and f.name != "merged_into":
                assert (model._meta.label, f.name) in found
    assert ("tickets.Ticket", "customer") in found and ("customers.Contact", "customer") in found


def test_merging_again_or_with_itself_is_refused(pair, personas):
    survivor, duplicate = pair
    with pytest.raises(ValidationError):
        customer_merge(survivor=survivor, duplicate=survivor, merged_by=personas.supervisor)
    customer_merge(survivor=survivor, duplicate=duplicate, merged_by=personas.supervisor)
    with pytest.raises(ValidationError):
        customer_merge(survivor=survivor, duplicate=duplicate, merged_by=personas.supervisor)


def test_older_tombstones_follow_to_the_new_survivor(customer_factory, personas):
    a, b, c = customer_factory(name="A"), customer_factory(name="B"), customer_factory(name="C")
    customer_merge(survivor=b, duplicate=c, merged_by=personas.supervisor)
    customer_merge(survivor=a, duplicate=b, merged_by=personas.supervisor)
    c.refresh_from_db()
    assert c.merged_into == a


def test_merge_view_preview_and_confirm(pair, client_for):
    survivor, duplicate = pair
    client = client_for("supervisor")
    search = client.get(reverse("customers:merge", args=[survivor.pk]), {"q": "1381234"}).content.decode()
    assert f"?other={duplicate.pk}" in search
    preview = client.get(reverse("customers:merge", args=[survivor.pk]), {"other": duplicate.pk})
    body = preview.content.decode()
    assert preview.status_code == 200 and "tickets: 2" in body
    # keep the duplicate's counterpart: choose the survivor explicitly
    response = client.post(reverse("customers:merge", args=[survivor.pk]), {"other": duplicate.pk, "survivor": survivor.pk})
    assert response.status_code == 302 and response["Location"] == reverse("customers:detail", args=[survivor.pk])
    assert Customer.objects.get(pk=duplicate.pk).merged_into_id == survivor.pk


def test_front_desk_cannot_merge(pair, client_for):
    survivor, duplicate = pair
    assert client_for("frontdesk").get(reverse("customers:merge", args=[survivor.pk])).status_code == 403


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_opposite_merges_do_not_deadlock_and_one_wins(customer_factory, personas):
    # given two supervisors merging the same pair in opposite directions at once
    a, b = customer_factory(name="A"), customer_factory(name="B")
    sup = personas.supervisor
    barrier = threading.Barrier(2)
    done, refused = [], []

    def merge(survivor, duplicate):
        try:
            barrier.wait(timeout=10)
            done.append(customer_merge(survivor=survivor, duplicate=duplicate, merged_by=sup))
        except ValidationError as exc:
            refused.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=merge, args=(a, b)), threading.Thread(target=merge, args=(b, a))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    # then: rows locked in pk order → no deadlock; the second sees the first's result and is refused
    assert len(done) == 1 and len(refused) == 1
    assert Customer.objects.filter(merged_into__isnull=True).count() == 1
