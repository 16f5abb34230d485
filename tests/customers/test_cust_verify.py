"""The front desk confirms a customer who registered through the online request form (issue 15)."""
import pytest
from django.urls import reverse

from customers.models import Customer, CustomerEvent


@pytest.fixture
def web_customer(customer_factory, personas):
    """A customer as portal.intake leaves one: self-registered, unverified, no owner, first contact "web"."""
    customer = customer_factory(name="王芳", channel="web")
    Customer.objects.filter(pk=customer.pk).update(self_registered=True, is_verified=False, owner=None,
                                                   first_contact_by=None)
    return Customer.objects.get(pk=customer.pk)


def test_page_shows_badge_and_confirm_button(client_for, web_customer):
    response = client_for("frontdesk").get(reverse("customers:detail", args=[web_customer.pk]))
    body = response.content.decode()
    assert "Self-registered online, not verified" in body and 'id="verify-customer"' in body


def test_verified_customer_has_neither(client_for, customer_factory):
    customer = customer_factory()
    body = client_for("frontdesk").get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "unverified-badge" not in body and "verify-customer" not in body


def test_confirm_sets_verified_and_takes_ownership(client_for, web_customer, personas):
    # when
    response = client_for("frontdesk").post(reverse("customers:verify", args=[web_customer.pk]))
    # then
    assert response.status_code == 302
    web_customer.refresh_from_db()
    assert web_customer.is_verified and web_customer.owner == personas.frontdesk
    assert web_customer.first_contact_by == personas.frontdesk and web_customer.first_contact_channel == "web"
    assert CustomerEvent.objects.filter(customer=web_customer, kind="updated", actor=personas.frontdesk).exists()


@pytest.mark.parametrize("role", ["technician", "outsider", None])
def test_confirm_needs_change_customer(client_for, web_customer, role):
    response = client_for(role).post(reverse("customers:verify", args=[web_customer.pk]))
    assert response.status_code in (302, 403)
    web_customer.refresh_from_db()
    assert not web_customer.is_verified


def test_confirm_by_get_changes_nothing(client_for, web_customer):
    client_for("frontdesk").get(reverse("customers:verify", args=[web_customer.pk]))
    web_customer.refresh_from_db()
    assert not web_customer.is_verified
