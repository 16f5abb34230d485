"""Contracts: who may add and change them, the rules on assets, dates and price, and the list's filters."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from contracts.models import ServiceContract
from contracts.services import contract_save

from .conftest import TODAY

pytestmark = pytest.mark.django_db


def _asset(customer, personas, product="Boiler"):
    from customers.services import asset_create

    return asset_create(customer=customer, created_by=personas.frontdesk, product=product)


def test_only_the_customers_own_assets(managed_customer, customer_factory, personas, level):
    other = customer_factory(name="Other")
    with pytest.raises(ValidationError, match="own assets"):
        contract_save(by=personas.supervisor, customer=managed_customer, level=level, start_date=TODAY,
                      end_date=TODAY + timedelta(days=365), price=Decimal("10"), assets=[_asset(other, personas)])


def test_end_before_start_refused_by_service_and_database(managed_customer, personas, level, make_contract):
    with pytest.raises(ValidationError):
        contract_save(by=personas.supervisor, customer=managed_customer, level=level, start_date=TODAY,
                      end_date=TODAY - timedelta(days=1), price=Decimal("10"))
    contract = make_contract(managed_customer, end=TODAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceContract.objects.filter(pk=contract.pk).update(end_date=date(2020, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceContract.objects.filter(pk=contract.pk).update(price=Decimal("-1"))


def test_agent_changes_only_the_contracts_of_customers_they_manage(managed_customer, customer_factory, personas, level):
    contract_save(by=personas.agent, customer=managed_customer, level=level, start_date=TODAY,
                  end_date=TODAY + timedelta(days=30), price=Decimal("0"))
    other = customer_factory(name="Not mine")
    with pytest.raises(ValidationError, match="account manager"):
        contract_save(by=personas.agent, customer=other, level=level, start_date=TODAY,
                      end_date=TODAY + timedelta(days=30), price=Decimal("0"))


@pytest.mark.parametrize(("role", "status"), [
    ("frontdesk", 403), ("technician", 403), ("outsider", 403), ("agent", 200), ("supervisor", 200), ("manager", 200)])
def test_pages_by_role(role, status, client_for, managed_customer, make_contract):
    contract = make_contract(managed_customer, end=TODAY + timedelta(days=10))
    client = client_for(role)
    for url in (reverse("contracts:list"), reverse("contracts:detail", args=[contract.pk]),
                reverse("contracts:create"), reverse("contracts:renewals"), reverse("contracts:care_dates")):
        assert client.get(url).status_code == status, url


def test_anonymous_goes_to_login(client):
    for name in ("contracts:list", "contracts:renewals", "contracts:care_dates", "contracts:create"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_edit_page_for_the_account_manager_not_another_agent(client_for, managed_customer, make_contract, personas):
    contract = make_contract(managed_customer, end=TODAY + timedelta(days=10))
    url = reverse("contracts:edit", args=[contract.pk])
    assert client_for("agent").get(url).status_code == 200
    from django.test import Client

    other = Client()
    other.force_login(personas.agent2)
    assert other.get(url).status_code == 403
    assert client_for("supervisor").get(url).status_code == 200


def test_create_through_the_form_and_bad_input(client_for, managed_customer, level, personas, customer_factory):
    asset = _asset(managed_customer, personas)
    foreign = _asset(customer_factory(name="Else"), personas, product="Pump")
    client = client_for("agent")
    url = reverse("contracts:create")
    good = {"customer": managed_customer.pk, "level": level.pk, "start_date": "2026-01-01", "end_date": "2026-12-31",
            "price": "1200.50", "assets": [asset.pk], "notes": "<b>x</b>"}
    response = client.post(url, {**good, "end_date": "2025-12-31"})
    assert response.status_code == 200 and "cannot end before it starts" in response.content.decode()
    response = client.post(url, {**good, "assets": [foreign.pk]})
    assert response.status_code == 200 and "own assets" in response.content.decode()
    response = client.post(url, {**good, "price": "-5"})
    assert response.status_code == 200 and not ServiceContract.objects.exists()
    response = client.post(url, {**good, "customer": "99999999999999999999999"})
    assert response.status_code == 200
    response = client.post(url, good)
    contract = ServiceContract.objects.get()
    assert response.status_code == 302 and list(contract.assets.all()) == [asset]
    detail = client.get(reverse("contracts:detail", args=[contract.pk])).content.decode()
    assert "&lt;b&gt;x&lt;/b&gt;" in detail and reverse("customers:detail", args=[managed_customer.pk]) in detail


def test_form_errors_in_chinese(client_for, managed_customer, level, settings):
    client = client_for("supervisor")
    client.cookies["django_language"] = "zh-hans"
    response = client.post(reverse("contracts:create"), {
        "customer": managed_customer.pk, "level": level.pk, "start_date": "2026-01-01", "end_date": "2025-01-01",
        "price": "1"})
    assert "合同结束日期不能早于开始日期" in response.content.decode()


def test_list_filters(client_for, managed_customer, customer_factory, make_contract, personas):
    other = customer_factory(name="Orphan Co")
    ending = make_contract(managed_customer, end=date.today() + timedelta(days=20))
    later = make_contract(managed_customer, end=date.today() + timedelta(days=400))
    expired = make_contract(other, end=date.today() - timedelta(days=3), start=date(2024, 1, 1))
    client = client_for("supervisor")

    def numbers(query):
        body = client.get(reverse("contracts:list") + query).content.decode()
        return {c.number for c in (ending, later, expired) if c.number in body}

    assert numbers("") == {ending.number, later.number, expired.number}
    assert numbers("?status=expiring") == {ending.number}
    assert numbers("?status=expired") == {expired.number}
    assert numbers("?status=active") == {later.number}
    assert numbers(f"?manager={personas.agent.pk}") == {ending.number, later.number}
    assert numbers("?manager=none") == {expired.number}
    assert numbers("?ending=30") == {ending.number}
    assert numbers(f"?customer={other.pk}") == {expired.number}
    # bad filter values are ignored, never a 500
    for bad in ("?ending=-1", "?ending=abc", "?manager=99999999999999999999", "?customer=x", "?level=0", "?page=x"):
        assert client.get(reverse("contracts:list") + bad).status_code == 200


@pytest.mark.parametrize("count", [1, 30])
def test_list_has_fixed_queries(count, client_for, managed_customer, make_contract, django_assert_max_num_queries):
    for i in range(count):
        make_contract(managed_customer, end=TODAY + timedelta(days=i))
    client = client_for("supervisor")
    with django_assert_max_num_queries(12):
        assert client.get(reverse("contracts:list")).status_code == 200


def test_edit_through_the_form(client_for, managed_customer, make_contract, level, personas):
    contract = make_contract(managed_customer, end=TODAY + timedelta(days=10))
    url = reverse("contracts:edit", args=[contract.pk])
    client = client_for("agent")
    base = {"level": level.pk, "start_date": "2025-01-01", "end_date": "2027-06-30", "price": "99", "notes": "renewed"}
    response = client.post(url, {**base, "end_date": "2024-01-01"})
    assert response.status_code == 200 and "cannot end before it starts" in response.content.decode()
    response = client.post(url, {**base, "customer": 424242})  # the customer cannot be changed by the form
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.customer == managed_customer and contract.end_date == date(2027, 6, 30) and contract.notes == "renewed"
    assert client.get(reverse("contracts:edit", args=[99999999])).status_code == 404
