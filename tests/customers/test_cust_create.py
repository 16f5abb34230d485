import threading

import pytest
from django.db import connection
from django.urls import reverse

from customers.models import Customer, CustomerEvent, CustomerPhone
from customers.services import DuplicatePhone, PhoneInput, customer_create

pytestmark = pytest.mark.django_db


def _post(client, **overrides):
    data = {
        "kind": "person", "name": "王芳", "phone1": "138 1234 5678", "label1": "mobile", "phone2": "", "label2": "landline",
        "phone3": "", "label3": "office", "email": "", "address": "", "region": "", "tier": "basic", "channel": "walk_in",
        "notes": "",
    }
    data.update(overrides)
    return client.post(reverse("customers:create"), data)


def test_create_records_first_contact_attribution(personas):
    # when
    c = customer_create(name=" 王芳 ", phones=[PhoneInput("138 1234 5678")], created_by=personas.frontdesk, channel="walk_in")
    # then
    assert c.name == "王芳"
    assert (c.first_contact_by, c.first_contact_channel, c.owner) == (personas.frontdesk, "walk_in", personas.frontdesk)
    assert c.first_contact_at is not None
    assert list(c.phones.values_list("number", "national", "is_primary")) == [("+8613812345678", "13812345678", True)]
    assert CustomerEvent.objects.filter(customer=c, kind="created").count() == 1


def test_duplicate_phone_in_any_format_is_refused_with_the_existing_customer(personas, customer_factory):
    # given
    first = customer_factory(name="张伟", phone="13812345678")
    # when / then
    with pytest.raises(DuplicatePhone) as exc:
        customer_create(name="Zhang Wei", phones=[PhoneInput("+86 138 1234 5678")], created_by=personas.frontdesk)
    assert exc.value.existing == first
    assert Customer.objects.count() == 1


def test_create_view_refuses_duplicate_with_link_to_existing(client_for, customer_factory):
    # given
    first = customer_factory(name="张伟", phone="13812345678")
    client = client_for("frontdesk")
    # when
    response = _post(client, phone1="+86 13812345678", name="Another")
    # then
    assert response.status_code == 200
    body = response.content.decode()
    assert reverse("customers:detail", args=[first.pk]) in body
    assert "already belongs to customer" in body
    assert Customer.objects.count() == 1


def test_create_view_with_three_phones_and_landline(client_for, region):
    client = client_for("frontdesk")
    response = _post(client, phone2="010-12345678", phone3="021 8765 4321", region=region.pk, tier="gold", is_key_account="on")
    c = Customer.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("customers:detail", args=[c.pk])
    assert sorted(c.phones.values_list("number", flat=True)) == sorted(["+8613812345678", "+861012345678", "+862187654321"])
    assert (c.tier, c.is_key_account, c.region, c.first_contact_channel) == ("gold", True, region, "walk_in")


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"name": ""}, "This field is required."),
        ({"name": "   "}, "This field is required."),
        ({"name": "x" * 10_000}, "Ensure this value has at most 200 characters"),
        ({"phone1": "12345"}, "is not a valid phone number"),
        ({"phone1": "not a phone"}, "is not a phone number"),
        ({"phone1": ""}, "This field is required."),
        ({"email": "nope"}, "Enter a valid email address."),
        ({"notes": "n" * 6000}, "at most 5000 characters"),
    ],
)
def test_bad_input_gets_a_clear_message_not_a_500(client_for, overrides, message):
    response = _post(client_for("frontdesk"), **overrides)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Customer.objects.count() == 0


def test_bad_input_message_in_chinese(client_for):
    client = client_for("frontdesk")
    client.cookies["django_language"] = "zh-hans"
    response = _post(client, phone1="12345")
    assert response.status_code == 200
    assert "不是有效的电话号码" in response.content.decode()


def test_create_prefills_from_what_was_typed(client_for):
    client = client_for("frontdesk")
    assert 'value="138 1234"' in client.get(reverse("customers:create"), {"q": "138 1234"}).content.decode()
    assert 'value="王芳"' in client.get(reverse("customers:create"), {"q": "王芳"}).content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_creations_of_the_same_phone_one_wins(personas):
    # given two desks entering the same caller at the same moment
    desk = personas.frontdesk
    barrier = threading.Barrier(2)
    results, errors = [], []

    def create(name):
        try:
            barrier.wait(timeout=10)
            results.append(customer_create(name=name, phones=[PhoneInput("13912345678")], created_by=desk))
        except DuplicatePhone as exc:
            errors.append(exc)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=create, args=(f"Caller {i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    # then: exactly one customer; the loser was told who has the number
    assert len(results) == 1 and len(errors) == 1
    assert Customer.objects.count() == 1
    assert CustomerPhone.objects.filter(number="+8613912345678").count() == 1
    assert errors[0].existing.pk == results[0].pk
