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


def test_desk_lists_customers_to_confirm_and_says_how_many(client_for, customer_factory, django_assert_max_num_queries):
    # given 12 customers who registered online and one confirmed customer
    for i in range(12):
        c = customer_factory(name=f"网上客户{i:02d}", channel="web")
        Customer.objects.filter(pk=c.pk).update(self_registered=True, is_verified=False)
    customer_factory(name="老客户")
    client = client_for("frontdesk")
    client.get(reverse("customers:desk"))
    # when the front desk opens the desk (a fixed number of queries: the list and its count)
    with django_assert_max_num_queries(12):
        body = client.get(reverse("customers:desk")).content.decode()
    # then the newest ten show, and the page says there are 12
    section = body.split('id="to-confirm"', 1)[1].split("</ul>", 1)[0]
    assert "网上客户11" in section and "网上客户02" in section and "网上客户01" not in section
    assert "老客户" not in section
    assert "10 of 12 customers who sent a request online" in body


def test_confirmed_customers_leave_the_desk_list(client_for, web_customer):
    client = client_for("frontdesk")
    assert 'id="to-confirm"' in client.get(reverse("customers:desk")).content.decode()
    client.post(reverse("customers:verify", args=[web_customer.pk]))
    assert 'id="to-confirm"' not in client.get(reverse("customers:desk")).content.decode()
