"""Renewed contracts and covered warranties (issue 17 §7 defects): a contract that a follow-on contract renews
gets no further expiry reminders, a warranty that a contract in force after it covers gets none either, and
the renewals page shows both as renewed / covered rather than as due."""
from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse

from contracts.models import Reminder, ServiceContract, renewal_links
from contracts.services import contract_save, reminders_sweep

from .conftest import TODAY, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def chiller(managed_customer, personas):
    from customers.services import asset_create

    return asset_create(customer=managed_customer, created_by=personas.frontdesk, product="Chiller",
                        install_date=date(2024, 1, 1), warranty_end=TODAY + timedelta(days=40))


def test_a_renewed_contract_gets_no_further_reminders(managed_customer, make_contract, chiller):
    # given a contract ending in 50 days whose 60-day task was opened
    old = make_contract(managed_customer, end=TODAY + timedelta(days=50), assets=[chiller])
    reminders_sweep(now=at(2026, 11, 16))
    assert list(Reminder.objects.filter(contract=old).values_list("action", flat=True)) == ["task"]
    # when a follow-on contract starting the day after it ends, covering the same asset, is saved
    new = make_contract(managed_customer, start=old.end_date + timedelta(days=1), end=old.end_date + timedelta(days=365),
                        assets=[chiller])
    old.refresh_from_db()
    assert old.renewed_by == new
    # then the 7-day notice and the 3-day SMS never come for the old one, however often the sweep runs
    for i in range(0, 52):
        reminders_sweep(now=at(2026, 11, 17) + timedelta(days=i))
    assert list(Reminder.objects.filter(contract=old).values_list("action", flat=True)) == ["task"]


def test_a_follow_on_that_leaves_out_an_asset_or_a_gap_is_no_renewal(managed_customer, make_contract, chiller,
                                                                    personas):
    from customers.services import asset_create

    pump = asset_create(customer=managed_customer, created_by=personas.frontdesk, product="Pump")
    old = make_contract(managed_customer, end=TODAY + timedelta(days=5), assets=[chiller, pump])
    # a contract for the chiller alone, and one covering both but starting a week after the old one ends
    make_contract(managed_customer, start=old.end_date, end=old.end_date + timedelta(days=365), assets=[chiller])
    make_contract(managed_customer, start=old.end_date + timedelta(days=8), end=old.end_date + timedelta(days=400),
                  assets=[chiller, pump])
    old.refresh_from_db()
    assert old.renewed_by is None
    reminders_sweep(now=at(2026, 11, 16))
    assert sorted(Reminder.objects.filter(contract=old).values_list("action", flat=True)) == ["notice", "task"]


def test_changing_the_follow_on_arms_the_old_contract_again(managed_customer, make_contract, personas, level):
    old = make_contract(managed_customer, end=TODAY + timedelta(days=5))
    new = make_contract(managed_customer, start=old.end_date + timedelta(days=1), end=old.end_date + timedelta(days=365))
    assert reminders_sweep(now=at(2026, 11, 16))["notice"] == 0
    # the follow-on is moved to start a month later: it no longer renews the old one
    contract_save(by=personas.supervisor, customer=managed_customer, level=level,
                  start_date=old.end_date + timedelta(days=30), end_date=new.end_date, price=new.price, contract=new)
    old.refresh_from_db()
    assert old.renewed_by is None
    assert reminders_sweep(now=at(2026, 11, 16, 11))["notice"] == 1


def test_a_warranty_covered_by_a_contract_gets_no_reminder(managed_customer, make_contract, chiller, personas):
    from customers.services import asset_create

    # given a contract in force the day after the chiller's warranty ends, covering it; a boiler not covered
    make_contract(managed_customer, start=TODAY, end=chiller.warranty_end + timedelta(days=1), assets=[chiller])
    boiler = asset_create(customer=managed_customer, created_by=personas.frontdesk, product="Boiler",
                          install_date=date(2024, 1, 1), warranty_end=TODAY + timedelta(days=40))
    # and a contract ending on the boiler's last warranty day does not cover what comes after it
    make_contract(managed_customer, start=TODAY, end=boiler.warranty_end, assets=[boiler])
    # when the sweep runs
    reminders_sweep(now=at(2026, 11, 16))
    # then only the boiler's warranty is reminded
    assert not Reminder.objects.filter(asset=chiller).exists()
    assert list(Reminder.objects.filter(asset=boiler).values_list("action", flat=True)) == ["task"]


def test_the_renewals_page_shows_renewed_and_covered_rows(managed_customer, make_contract, chiller, client_for):
    old = make_contract(managed_customer, end=TODAY + timedelta(days=50), assets=[chiller])
    new = make_contract(managed_customer, start=old.end_date, end=old.end_date + timedelta(days=365), assets=[chiller])
    with time_machine.travel(at(2026, 11, 16), tick=False):
        body = client_for("agent").get(reverse("contracts:renewals")).content.decode()
    contracts_part, warranties_part = body.split("Warranties ending")
    assert f"Renewed by {new.number}" in contracts_part
    # the chiller's warranty ends within the old contract, which covers the day after it
    assert f"Covered by contract {old.number}" in warranties_part
    detail = client_for("agent").get(reverse("contracts:detail", args=[old.pk])).content.decode()
    assert f"Renewed by {new.number}" in detail


def test_renewal_links_rule():
    d = date(2026, 1, 1)
    contracts = [(1, d, d + timedelta(days=364)), (2, d + timedelta(days=365), d + timedelta(days=729)),
                 (3, d + timedelta(days=100), d + timedelta(days=200))]
    # 2 starts the day after 1 ends and covers 1's assets; 3 ends before 1 does; nothing renews 2
    assert renewal_links(contracts, {1: {7}, 2: {7, 8}}) == {1: 2, 2: None, 3: None}
    # 2 leaves out asset 9: no renewal
    assert renewal_links(contracts, {1: {7, 9}, 2: {7}}) == {1: None, 2: None, 3: None}


def test_the_migration_rule_and_the_service_agree(managed_customer, make_contract):
    old = make_contract(managed_customer, end=TODAY + timedelta(days=50))
    new = make_contract(managed_customer, start=old.end_date - timedelta(days=10), end=old.end_date + timedelta(days=90))
    assert ServiceContract.objects.get(pk=old.pk).renewed_by_id == new.pk
    assert ServiceContract.objects.get(pk=new.pk).renewed_by_id is None


def test_a_follow_on_moved_to_another_customer_arms_the_old_contract_again(managed_customer, make_contract, personas,
                                                                          level, customer_factory):
    old = make_contract(managed_customer, end=TODAY + timedelta(days=5))
    new = make_contract(managed_customer, start=old.end_date + timedelta(days=1), end=old.end_date + timedelta(days=365))
    old.refresh_from_db()
    assert old.renewed_by == new
    # the follow-on was entered on the wrong customer: moving it leaves the old contract unrenewed
    other = customer_factory(name="Other Co")
    contract_save(by=personas.supervisor, customer=other, level=level, start_date=new.start_date,
                  end_date=new.end_date, price=new.price, contract=new)
    old.refresh_from_db()
    assert old.renewed_by is None


def test_merging_customers_links_a_moved_follow_on(managed_customer, make_contract, personas, customer_factory):
    from customers.services import customer_merge

    old = make_contract(managed_customer, end=TODAY + timedelta(days=5))
    duplicate = customer_factory(name="Hua Industries Ltd")
    new = make_contract(duplicate, start=old.end_date + timedelta(days=1), end=old.end_date + timedelta(days=365))
    customer_merge(survivor=managed_customer, duplicate=duplicate, merged_by=personas.supervisor)
    old.refresh_from_db()
    assert old.renewed_by == new


def _admin_save(client, personas, contract, **changes):
    """Save `contract` through its admin change form as a manager, with `changes` over the form's values."""
    url = reverse("admin:contracts_servicecontract_change", args=[contract.pk])
    manager = personas.manager
    manager.is_staff = True  # as the demo data has it for managers: the admin's door is open, permissions decide
    manager.save()
    client.force_login(manager)
    page = client.get(url)
    assert page.status_code == 200, (page.status_code, page.get("Location"))
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "assets"}
    data.update(customer=contract.customer_id, level=contract.level_id, created_by=contract.created_by_id,
                start_date=contract.start_date.isoformat(), end_date=contract.end_date.isoformat(),
                price=str(contract.price), notes="")
    data.update(changes)
    return client.post(url, data)


def test_an_admin_edit_keeps_the_renewal_links_true(managed_customer, make_contract, client, personas):
    old = make_contract(managed_customer, end=TODAY + timedelta(days=5))
    new = make_contract(managed_customer, start=old.end_date + timedelta(days=1), end=old.end_date + timedelta(days=365))
    old.refresh_from_db()
    assert old.renewed_by == new
    # a manager moves the follow-on's start a month later in the admin: it no longer renews the old one
    response = _admin_save(client, personas, new, start_date=(old.end_date + timedelta(days=31)).isoformat())
    assert response.status_code == 302, response.content.decode()[:2000]
    old.refresh_from_db()
    assert old.renewed_by is None


def test_an_admin_move_to_another_customer_arms_the_old_contract_again(managed_customer, make_contract, client,
                                                                      personas, customer_factory):
    old = make_contract(managed_customer, end=TODAY + timedelta(days=5))
    new = make_contract(managed_customer, start=old.end_date + timedelta(days=1), end=old.end_date + timedelta(days=365))
    other = customer_factory(name="Other Co")
    response = _admin_save(client, personas, new, customer=other.pk)
    assert response.status_code == 302, response.content.decode()[:2000]
    old.refresh_from_db()
    assert old.renewed_by is None  # re-derived for the customer the contract left
