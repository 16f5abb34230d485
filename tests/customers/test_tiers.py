"""Customer tiers are data (issue 17): a manager adds, renames, reorders and retires them; the customer form
offers the active tiers meant for the customer's kind; SLA policies, the rollup and the reports keep working
by the tier's code, and every page shows the tier's name in the reader's language in a fixed number of queries."""
from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from customers.models import Customer, CustomerTier
from customers.services import PhoneInput, customer_create, customer_update
from customers.tiers import tier_choices, tier_default_code, tier_label
from sla.models import SLAPolicy, SLATarget
from tests.customers.tiers import tier_save
from tests.sla.slatime import at

pytestmark = pytest.mark.django_db


ADMIN = "/admin/customers/customertier/"


def _staff(personas, role):
    user = personas.by_role(role)
    user.is_staff = True  # as the demo data has it for managers: the admin's door is open, permissions decide
    user.save()
    return user


def _tier_form(**over):
    return {"code": "platinum", "name": "白金", "name_en": "Platinum", "applies_to": "both", "position": 5,
            "is_active": "on", **over}


def test_defaults_installed_with_both_languages():
    # the four tiers the department had (codes unchanged) and the ten enterprise levels, for organisations
    codes = list(CustomerTier.objects.values_list("code", flat=True))
    assert codes[:4] == ["diamond", "gold", "silver", "basic"]
    assert codes[4:] == ["1a", "2a", "3a", "4a", "5a", "1b", "2b", "3b", "4b", "5b"]
    assert set(CustomerTier.objects.filter(code__in=codes[4:]).values_list("applies_to", flat=True)) == {"organisation"}
    assert all(t.name and t.name_en for t in CustomerTier.objects.all())
    assert tier_default_code("person") == tier_default_code("organisation") == "basic"
    with translation.override("zh-hans"):
        assert (tier_label("diamond"), tier_label("1a")) == ("钻石", "企业1A级")
    with translation.override("en"):
        assert (tier_label("diamond"), tier_label("1a")) == ("Diamond", "Enterprise 1A")


def test_manager_adds_renames_reorders_and_retires_a_tier(client, personas):
    client.force_login(_staff(personas, "manager"))
    # add
    response = client.post(ADMIN + "add/", _tier_form())
    assert response.status_code == 302, response.content.decode()[:3000]
    tier = CustomerTier.objects.get(code="platinum")
    assert (tier.name, tier.name_en, tier.position, tier.is_active) == ("白金", "Platinum", 5, True)
    assert tier_choices(kind="person")[0] == ("platinum", "Platinum")  # position 5: first
    # rename both languages and move it last; the code is fixed once saved (a posted one is ignored)
    response = client.post(f"{ADMIN}{tier.pk}/change/", _tier_form(code="other", name="铂金", name_en="Platinum+",
                                                                    position=500))
    assert response.status_code == 302, response.content.decode()[:3000]
    tier.refresh_from_db()
    assert (tier.code, tier.name, tier.name_en, tier.position) == ("platinum", "铂金", "Platinum+", 500)
    assert [c for c, _n in tier_choices(kind="person")][-1] == "platinum"
    # retire
    form = _tier_form(name="铂金", name_en="Platinum+", position=500)
    del form["is_active"]
    assert client.post(f"{ADMIN}{tier.pk}/change/", form).status_code == 302
    tier.refresh_from_db()
    assert tier.is_active is False
    assert "platinum" not in dict(tier_choices(kind="person"))
    # nobody deletes a tier: old rows name it
    assert client.get(f"{ADMIN}{tier.pk}/delete/").status_code == 403


def test_tier_admin_refuses_duplicates_and_a_second_default(client, personas):
    client.force_login(_staff(personas, "manager"))
    same_name = client.post(ADMIN + "add/", _tier_form(name="金", name_en="Gold"))
    assert same_name.status_code == 200 and not CustomerTier.objects.filter(code="platinum").exists()
    second_default = client.post(ADMIN + "add/", _tier_form(is_default="on"))
    assert second_default.status_code == 200
    assert "Another tier is already the default" in second_default.content.decode()
    retire_default = _tier_form(code="basic", name="基础", name_en="Basic", is_default="on")
    del retire_default["is_active"]
    basic = CustomerTier.objects.get(code="basic")
    response = client.post(f"{ADMIN}{basic.pk}/change/", retire_default)
    assert response.status_code == 200 and "The default tier cannot be retired" in response.content.decode()
    assert CustomerTier.objects.get(code="basic").is_active


@pytest.mark.parametrize("role", ["frontdesk", "agent", "supervisor", "technician"])
def test_only_managers_edit_tiers(client, personas, role):
    client.force_login(_staff(personas, role))
    assert client.get(ADMIN).status_code == 403
    assert client.post(ADMIN + "add/", _tier_form()).status_code == 403
    gold = CustomerTier.objects.get(code="gold")
    client.post(f"{ADMIN}{gold.pk}/change/", _tier_form(code="gold", name="X", name_en="X"))
    assert CustomerTier.objects.get(code="gold").name == "金"
    assert not CustomerTier.objects.filter(code="platinum").exists()


def test_manager_sees_the_tier_list(client, personas):
    client.force_login(_staff(personas, "manager"))
    body = client.get(ADMIN).content.decode()
    assert "Enterprise 1A" in body and "企业5B级" in body


def test_retired_tier_not_offered_but_still_shown(client_for, customer_factory):
    # given a gold customer, then gold retired
    customer = customer_factory(name="Old Gold", tier="gold")
    tier_save("gold", is_active=False)
    client = client_for("frontdesk")
    # then the new-customer form does not offer it
    form = client.get(reverse("customers:create")).context["form"]
    assert "gold" not in dict(form.fields["tier"].choices)
    # and choosing it anyway is refused with a message that says why
    response = client.post(reverse("customers:create"), {"kind": "person", "name": "New", "phone1": "13900000123",
                                                         "label1": "mobile", "tier": "gold", "channel": "phone"})
    assert response.status_code == 200
    assert "The tier “Gold” is retired: choose an active tier." in response.content.decode()
    with pytest.raises(ValidationError) as raised:
        customer_factory(name="New", tier="gold")
    assert raised.value.error_dict["tier"][0].code == "retired_tier"
    # but the customer who has it keeps it: shown with its name, offered on their own form, saved unchanged
    assert "Gold" in client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    edit = client.get(reverse("customers:edit", args=[customer.pk])).context["form"]
    assert dict(edit.fields["tier"].choices)["gold"] == "Gold (retired)"
    customer_update(customer=customer, updated_by=customer.owner, tier="gold", notes="still gold")
    customer.refresh_from_db()
    assert (customer.tier, customer.notes) == ("gold", "still gold")
    # moving them off it is fine; moving back is not
    customer_update(customer=customer, updated_by=customer.owner, tier="silver")
    with pytest.raises(ValidationError):
        customer_update(customer=customer, updated_by=customer.owner, tier="gold")


def test_enterprise_levels_offered_to_organisations_only(client_for, customer_factory):
    client = client_for("frontdesk")
    person_form = client.get(reverse("customers:create")).context["form"]
    assert "1a" not in dict(person_form.fields["tier"].choices)
    assert "diamond" in dict(person_form.fields["tier"].choices)
    data = {"kind": "organisation", "name": "ACME", "phone1": "13900000124", "label1": "mobile", "tier": "1a",
            "channel": "phone", "label2": "landline", "label3": "office"}
    from customers.forms import CustomerForm

    assert "1a" in dict(CustomerForm(data).fields["tier"].choices)
    # an organisation gets a level; a person is refused one, clearly, in both languages
    response = client.post(reverse("customers:create"), data)
    assert response.status_code == 302
    assert Customer.objects.get(name="ACME").tier == "1a"
    response = client.post(reverse("customers:create"), {**data, "kind": "person", "name": "Li", "phone1": "13900000125"})
    assert "The tier “Enterprise 1A” is for organisations only." in response.content.decode()
    with translation.override("zh-hans"), pytest.raises(ValidationError) as raised:
        customer_factory(name="Li", kind="person", tier="1a")
    assert "企业1A级" in raised.value.error_dict["tier"][0].message % raised.value.error_dict["tier"][0].params
    assert raised.value.error_dict["tier"][0].code == "tier_kind"
    # an organisation with a level cannot quietly become a person with it
    acme = Customer.objects.get(name="ACME")
    with pytest.raises(ValidationError):
        customer_update(customer=acme, updated_by=acme.owner, kind="person")


def test_unknown_code_is_a_clear_error_in_both_languages(client_for, customer_factory):
    client = client_for("frontdesk")
    data = {"kind": "person", "name": "X", "phone1": "13900000126", "label1": "mobile", "tier": "platinum",
            "channel": "phone"}
    body = client.post(reverse("customers:create"), data).content.decode()
    assert "“platinum” is not a service tier. Choose one of the list." in body
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as raised:
            customer_factory(name="X", tier="platinum")
        error = raised.value.error_dict["tier"][0]
        assert error.code == "unknown_tier"
        text = str(error.message % error.params)
        assert "platinum" in text and text != "“platinum” is not a service tier. Choose one of the list."


def test_new_customers_get_the_managers_default_tier(personas):
    c1 = customer_create(name="A", phones=[PhoneInput("13900000127")], created_by=personas.frontdesk)
    assert c1.tier == "basic"
    tier_save("basic", is_default=False)
    tier_save("silver", is_default=True)
    from customers.tiers import tiers_forget

    tiers_forget()
    c2 = customer_create(name="B", phones=[PhoneInput("13900000128")], created_by=personas.frontdesk)
    assert c2.tier == "silver"


def test_sla_policy_for_a_new_tier_matches(client_for, personas, customer_factory):
    from sla.services import policy_for_ticket
    from tickets.services import ticket_create

    # given a tier the manager added, and a policy for it made on the policy page (which offers it)
    CustomerTier.objects.create(code="platinum", name="白金", name_en="Platinum", position=5)
    client = client_for("manager")
    form = client.get(reverse("sla:policy_add")).context["form"]
    assert "platinum" in dict(form.fields["tier"].choices)
    policy = SLAPolicy.objects.create(name="Platinum", tier="platinum", order=1)
    SLATarget.objects.create(policy=policy, target="first_response", hours=1, clock="all_day")
    # when a platinum customer opens a ticket
    customer = customer_factory(name="Plat", tier="platinum")
    ticket = ticket_create(customer=customer, kind="repair", subject="x", created_by=personas.frontdesk)
    # then the platinum policy applies, and its criteria read as the tier's name
    assert policy_for_ticket(ticket) == policy
    assert "Platinum" in policy.criteria
    other = customer_factory(name="Plain", tier="basic")
    assert policy_for_ticket(ticket_create(customer=other, kind="repair", subject="y",
                                           created_by=personas.frontdesk)) != policy


def test_rollup_and_dashboard_by_tier(client_for, personas, customer_factory):
    from sla.selectors import DashboardFilters, compliance
    from tickets.services import ticket_create, ticket_reply

    org = customer_factory(name="ACME", kind="organisation", tier="1a")
    gold = customer_factory(name="Gold", tier="gold")
    for customer in (org, org, gold):
        t = ticket_create(customer=customer, kind="repair", subject="x", created_by=personas.frontdesk,
                          now=at(2026, 11, 23, 9))
        ticket_reply(ticket=t, author=personas.agent, body="On it", public=True, now=at(2026, 11, 23, 10))
    month = DashboardFilters(start=date(2026, 11, 1), end=date(2026, 11, 30))
    by_tier = compliance(month)["first_response"]["tier"]
    assert by_tier["1a"] == [2, 2] and by_tier["gold"] == [1, 1]
    # a rename changes the label, not the figures
    tier_save("1a", name_en="Top enterprise")
    with time_machine.travel(at(2026, 11, 24, 9), tick=False):
        response = client_for("supervisor").get(reverse("sla:dashboard"), {"start": "2026-11-01", "end": "2026-11-30"})
    rows = next(d for d in response.context["breakdown"] if d["key"] == "tier")["rows"]
    assert {r["label"]: (r["cells"][0]["met"], r["cells"][0]["total"]) for r in rows} == {
        "Top enterprise": (2, 2), "Gold": (1, 1)}


def test_csat_segment_and_exports_use_the_names(client_for, customer_factory):
    from followups.selectors import _segment_labels

    tier_save("silver", name_en="Silver star")
    assert _segment_labels("tier", ["silver"])["silver"] == "Silver star"
    with translation.override("zh-hans"):
        assert _segment_labels("tier", ["silver"])["silver"] == "银"
    customer_factory(name="S", tier="silver")
    response = client_for("supervisor").post(reverse("customers:export"), {"tier": "silver", "fmt": "csv"})
    body = b"".join(response.streaming_content if response.streaming else [response.content]).decode("utf-8-sig")
    assert "Silver star" in body


@pytest.mark.parametrize("n", [2, 12])
def test_customer_search_reads_tiers_once(client_for, customer_factory, n, django_assert_max_num_queries):
    codes = ["diamond", "gold", "silver", "basic"]
    for i in range(n):
        customer_factory(name=f"Zhang {i}", tier=codes[i % 4])
    client = client_for("frontdesk")
    client.get(reverse("customers:search"), {"q": "Zhang"})  # warm the session
    with django_assert_max_num_queries(8):
        body = client.get(reverse("customers:search"), {"q": "Zhang"}).content.decode()
    assert "Diamond" in body and "Gold" in body


def test_the_tiers_table_is_not_read_again_until_a_tier_changes(client_for, customer_factory, personas):
    """Pages show tier names without a query per request: the table is kept while the shared version token
    is unchanged, and re-read at the next request after a tier is saved (here: renamed by a manager)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    customer = customer_factory(name="Tiered", tier="gold")
    client = client_for("agent")
    url = reverse("customers:detail", args=[customer.pk])

    def tier_queries():
        with CaptureQueriesContext(connection) as ctx:
            body = client.get(url).content.decode()
        return sum("customers_customertier" in q["sql"] for q in ctx.captured_queries), body

    tier_queries()
    assert tier_queries()[0] == 0  # kept from the request before
    gold = CustomerTier.objects.get(code="gold")
    gold.name_en = "Gold Plus"
    gold.save()
    reads, body = tier_queries()
    assert reads == 1 and "Gold Plus" in body
    assert tier_queries()[0] == 0
