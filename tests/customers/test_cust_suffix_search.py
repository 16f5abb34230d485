"""The front desk finds a caller by the last digits of a phone (尾号), as Chinese front desks do.

Before: "4817" (the end of 135 7263 4817) found nothing and offered "Create customer", inviting a
duplicate; only the start of the national number was searched.
"""
import pytest
from django.db import connection
from django.urls import reverse

from customers.models import Customer, CustomerPhone
from customers.selectors import customers_search, phone_search_queryset

pytestmark = pytest.mark.django_db


def names(result):
    return sorted(c.name for c in result.customers)


@pytest.fixture
def callers(customer_factory, region):
    zhang = customer_factory(name="张伟", phone="135 7263 4817")
    Customer.objects.filter(pk=zhang.pk).update(region=region)
    return {
        "zhang": zhang,
        "liu": customer_factory(name="刘洋", phone="13900004817"),  # same last four digits
        "zhao": customer_factory(name="赵敏", phone="010-62750817"),  # landline ending 0817
        "qian": customer_factory(name="钱进", phone="13612345678"),
    }


@pytest.mark.parametrize(
    "query, expected",
    [
        ("4817", ["刘洋", "张伟"]),  # the last four digits of two numbers
        ("34817", ["张伟"]),
        ("7263 4817", ["张伟"]),  # the last eight, as a person reads them out
        ("0817", ["赵敏"]),  # a leading 0 of a suffix is a digit, not a trunk prefix
        ("50817", ["赵敏"]),
        ("1357", ["张伟"]),  # the start still works
        ("135 7263 4817", ["张伟"]),  # and the whole number
        ("+86 4817", []),  # with a country code it is the start of a number, never its end
        ("5678", ["钱进"]),
        ("9999", []),
    ],
)
def test_suffix_and_prefix_both_find(callers, query, expected):
    assert names(customers_search(query=query)) == expected


def test_three_digits_are_still_too_short(callers):
    result = customers_search(query="817")
    assert result.too_short and result.customers == []


def test_the_reversed_number_is_kept_by_the_database(callers):
    # given a number changed by an update that bypasses every service
    CustomerPhone.objects.filter(customer=callers["qian"]).update(national="13612340000", number="+8613612340000")
    # then the suffix column followed it
    assert CustomerPhone.objects.get(customer=callers["qian"]).national_reversed == "00004321631"
    assert names(customers_search(query="0000")) == ["钱进"]


def test_several_matches_are_listed_masked_with_region(callers, client_for, region):
    body = client_for("frontdesk").get(reverse("customers:search"), {"q": "4817"}, headers={"HX-Request": "true"}).content.decode()
    # both callers listed, numbers partly masked, the region shown so the right one is picked
    assert body.count("customer-result") == 2
    assert "135 **** 4817" in body and "139 **** 4817" in body
    assert "135 7263 4817" not in body
    assert region.name in body
    assert "confirm the full number" in body
    assert "Create customer" not in body


def test_a_single_match_shows_the_number_masked_and_the_customer_page_in_full(callers, client_for):
    """Issue 19 (PIPL): a search result is a list, so the front desk sees 135 **** 4817; the row opens the
    customer's page, which shows it whole (and logs the view). A manager sees it whole in the list."""
    from customers.models import PersonalDataAccess

    client = client_for("frontdesk")
    body = client.get(reverse("customers:search"), {"q": "34817"}, headers={"HX-Request": "true"}).content.decode()
    assert "135 **** 4817" in body and "135 7263 4817" not in body
    page = client.get(reverse("customers:detail", args=[callers["zhang"].pk])).content.decode()
    assert "135 7263 4817" in page
    row = PersonalDataAccess.objects.get()
    assert (row.action, row.place, row.customer_id) == ("view", "customer_page", callers["zhang"].pk)
    body = client_for("manager").get(reverse("customers:search"), {"q": "34817"},
                                     headers={"HX-Request": "true"}).content.decode()
    assert "135 7263 4817" in body and "****" not in body


def test_suffix_search_in_chinese(callers, client_for):
    client = client_for("frontdesk")
    client.cookies["django_language"] = "zh-hans"
    body = client.get(reverse("customers:search"), {"q": "4817"}, headers={"HX-Request": "true", "Accept-Language": "zh-hans"}).content.decode()
    assert "核对" in body  # the masked-list hint is translated


@pytest.mark.parametrize("matches", [1, 40])
def test_suffix_search_keeps_a_fixed_number_of_queries(matches, personas, client_for, django_assert_max_num_queries):
    from customers.services import PhoneInput, customer_create

    for i in range(matches):
        customer_create(name=f"Sun {i:03d}", phones=[PhoneInput(f"137{i:04d}4817")], created_by=personas.frontdesk)
    client = client_for("frontdesk")
    client.get(reverse("customers:desk"))  # warm the session
    with django_assert_max_num_queries(7):
        response = client.get(reverse("customers:search"), {"q": "4817"})
    assert response.status_code == 200
    assert response.content.decode().count("customer-result") == min(matches, 20)


@pytest.mark.postgres
def test_suffix_search_uses_the_reversed_index_on_postgres(personas):
    # given enough numbers that reading them all would be the worse plan
    from customers.models import Customer

    customers = Customer.objects.bulk_create(
        Customer(name=f"Bench {i}") for i in range(20000)
    )
    CustomerPhone.objects.bulk_create(
        CustomerPhone(customer=c, number=f"+86138{i:08d}", national=f"138{i:08d}", is_primary=True)
        for i, c in enumerate(customers)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customerphone")
    # when
    qs = phone_search_queryset("", suffix="4817")
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # then the end of the number is found through its index, not a scan of every phone
    assert "customerphone_national_rev_idx" in plan, plan
    assert "Seq Scan on customers_customerphone" not in plan, plan
    assert [c.name for c in qs] == ["Bench 14817", "Bench 4817"]
