import pytest
from django.urls import reverse

from customers.models import Customer
from customers.selectors import customers_search
from customers.services import customer_merge

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(customer_factory):
    return {
        "wang": customer_factory(name="王芳", phone="13812345678"),
        "li": customer_factory(name="Li Ming", phone="010-12345678"),
        "org": customer_factory(name="Beijing Huaxin Trading Co.", phone="13998765432", kind="organisation"),
    }


def names(result):
    return [c.name for c in result.customers]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("13812345678", ["王芳"]),
        ("138 1234 5678", ["王芳"]),
        ("+86 13812345678", ["王芳"]),
        ("+86 138-1234-5678", ["王芳"]),
        ("1381", ["王芳"]),  # partial digits: prefix of the national number
        ("138 12", ["王芳"]),
        ("010-12345678", ["Li Ming"]),
        ("010-1234", ["Li Ming"]),
        ("1399", ["Beijing Huaxin Trading Co."]),
        ("王芳", ["王芳"]),
        ("王", ["王芳"]),
        ("芳", []),  # 1–2 characters match the start of the name (index-backed on PostgreSQL)
        ("Li", ["Li Ming"]),
        ("ming", ["Li Ming"]),  # 3+ characters match anywhere
        ("li m", ["Li Ming"]),
        ("LI MING", ["Li Ming"]),
        ("huaxin", ["Beijing Huaxin Trading Co."]),
        ("nobody", []),
        ("1500", []),
    ],
)
def test_search_finds_by_each_key(people, query, expected):
    assert names(customers_search(query=query)) == expected


def test_short_digit_strings_are_not_searched(people):
    result = customers_search(query="138")
    assert result.too_short and result.customers == []


def test_empty_query(people):
    assert customers_search(query="   ").kind == "empty"


def test_search_by_ticket_number(people, ticket_for):
    # given
    ticket = ticket_for(people["li"])
    # when
    result = customers_search(query=ticket.number.lower())
    # then
    assert result.kind == "ticket" and result.ticket == ticket
    assert names(result) == ["Li Ming"]
    assert result.customers[0].open_tickets == 1


def test_unknown_ticket_number(people):
    result = customers_search(query="SR-2026-999999")
    assert result.kind == "ticket" and result.ticket is None and result.customers == []


def test_merged_customers_never_show(people, customer_factory, personas):
    # given a duplicate of 王芳 merged into the original
    dup = customer_factory(name="王芳 (dup)", phone="13812340000")
    customer_merge(survivor=people["wang"], duplicate=dup, merged_by=personas.supervisor)
    # when / then: the duplicate's phone now finds the survivor, its name finds nothing merged
    assert names(customers_search(query="13812340000")) == ["王芳"]
    assert names(customers_search(query="王芳")) == ["王芳"]


def test_result_rows_show_open_tickets_tier_region(people, ticket_for, region, client_for):
    Customer.objects.filter(pk=people["wang"].pk).update(tier="diamond", is_key_account=True, region=region)
    ticket_for(people["wang"])
    ticket_for(people["wang"], kind="complaint", subject="Rude")
    response = client_for("frontdesk").get(reverse("customers:search"), {"q": "138 1234"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "2 open tickets" in body and "Diamond" in body and "Key account" in body and "Haidian" in body
    assert "138 **** 5678" in body  # a list: masked for the front desk (issue 19, PIPL)
    assert "<html" not in body  # a fragment for htmx


def test_empty_state_offers_create_prefilled(people, client_for):
    body = client_for("frontdesk").get(reverse("customers:search"), {"q": "张三丰"}).content.decode()
    assert "No customer matches" in body
    assert reverse("customers:create") + "?q=%E5%BC%A0%E4%B8%89%E4%B8%B0" in body


def test_desk_has_debounced_as_you_type_search(client_for):
    body = client_for("frontdesk").get(reverse("customers:desk")).content.decode()
    assert 'hx-get="%s"' % reverse("customers:search") in body
    assert "input changed delay:250ms" in body


def test_desk_without_javascript_shows_results(people, customer_factory, client_for):
    customer_factory(name="Li Na", phone="13700000001")
    body = client_for("frontdesk").get(reverse("customers:desk"), {"q": "Li "}).content.decode()
    assert reverse("customers:detail", args=[people["li"].pk]) in body and "Li Na" in body


def test_enter_on_a_single_match_or_ticket_number_goes_straight_there(people, client_for, ticket_for):
    client = client_for("frontdesk")
    response = client.get(reverse("customers:desk"), {"q": "138 1234 5678"})
    assert response.status_code == 302 and response["Location"] == reverse("customers:detail", args=[people["wang"].pk])
    ticket = ticket_for(people["li"])
    response = client.get(reverse("customers:desk"), {"q": ticket.number})
    # the tickets app's page when it has one (tickets:detail), else the customer's
    from customers.templatetags.customers_tags import ticket_url

    assert response.status_code == 302 and response["Location"] == ticket_url(ticket)
    assert response["Location"] != reverse("customers:desk")


@pytest.mark.parametrize("matches", [1, 20, 50])
def test_search_runs_a_fixed_number_of_queries(matches, personas, ticket_for, client_for, django_assert_max_num_queries):
    # given `matches` customers named alike, each with two phones and a ticket
    from customers.services import PhoneInput, customer_create

    for i in range(matches):
        c = customer_create(
            name=f"Zhao {i:03d}", phones=[PhoneInput(f"137{i:08d}"), PhoneInput(f"0105{i:07d}")], created_by=personas.frontdesk
        )
        ticket_for(c)
    client = client_for("frontdesk")
    client.get(reverse("customers:desk"))  # warm the session
    # when / then: session, user, 2× permissions, role (layout), customers, phones — whatever the number of matches
    for query in ("zhao", "1370000"):
        with django_assert_max_num_queries(7):
            response = client.get(reverse("customers:search"), {"q": query})
        assert response.status_code == 200
        page = response.content.decode()
        assert page.count("customer-result") == min(matches, 20)
        # lists never cut silently: past 20 the page says only the first 20 are shown
        assert ('id="search-more"' in page) == (matches > 20)
        assert ("Only the first 20 matches are shown" in page) == (matches > 20)
