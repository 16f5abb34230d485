"""Pages: who may see and write plans, filters, pagination, fixed queries, bad input."""
from datetime import date

import pytest
from django.urls import reverse

from maintenance.models import MaintenancePlan
from maintenance.services import visits_create_due
from tests.maintenance.conftest import NOW

pytestmark = pytest.mark.django_db


def _managed(customer, manager):
    customer.account_manager = manager
    customer.save(update_fields=["account_manager"])
    return customer


@pytest.fixture
def plan(account, plan_factory):
    return plan_factory(account)


def _post_data(skill, **over):
    data = {"customer": "", "title": "Summer check", "kind": "seasonal", "month_days": "05-20, 11-15",
            "start_on": "2026-03-01", "checklist": "Clean coils\nCheck drain", "skill": skill.pk,
            "estimated_value": "500", "active": "on", "site": "", "notes": "", "interval_months": ""}
    data.update(over)
    return data


@pytest.mark.parametrize(("role", "status"), [
    ("agent", 200), ("supervisor", 200), ("manager", 200), ("frontdesk", 403), ("technician", 403),
    ("outsider", 403), (None, 302)])
def test_who_sees_the_plans_list_and_a_plan(client_for, plan, role, status):
    client = client_for(role)
    assert client.get(reverse("maintenance:list")).status_code == status
    assert client.get(reverse("maintenance:detail", args=[plan.pk])).status_code == status


@pytest.mark.parametrize(("role", "status"), [
    ("supervisor", 200), ("manager", 200), ("agent", 200),  # the agent is this customer's account manager
    ("frontdesk", 403), ("technician", 403), ("outsider", 403)])
def test_who_may_edit_a_plan(client_for, plan, role, status):
    assert client_for(role).get(reverse("maintenance:edit", args=[plan.pk])).status_code == status


def test_an_agent_who_is_not_the_account_manager_may_not_edit_or_create_for_that_customer(client_for, plan,
                                                                                          personas, skill):
    client = client_for("agent2")
    assert client.get(reverse("maintenance:edit", args=[plan.pk])).status_code == 403
    assert client.get(reverse("maintenance:create")).status_code == 403  # manages no account
    response = client.post(reverse("maintenance:create"), _post_data(skill, customer=plan.customer_id))
    assert response.status_code == 403
    assert MaintenancePlan.objects.count() == 1


def test_a_front_desk_account_manager_may_plan_for_their_account_only(client_for, personas, customer_factory,
                                                                      skill, region):
    # given a customer whose account manager is on the front desk (no maintenance permission)
    mine = _managed(customer_factory(name="Mine", address="Road", region=region), personas.frontdesk)
    other = _managed(customer_factory(name="Other", address="Road", region=region), personas.agent)
    client = client_for("frontdesk")
    # then they create a plan for their own account and may not for the other
    response = client.post(reverse("maintenance:create"), _post_data(skill, customer=mine.pk))
    assert response.status_code == 302
    plan = MaintenancePlan.objects.get(customer=mine)
    assert client.get(reverse("maintenance:detail", args=[plan.pk])).status_code == 200
    assert client.post(reverse("maintenance:create"), _post_data(skill, customer=other.pk)).status_code == 403
    # and the list shows their accounts only
    assert client.get(reverse("maintenance:list")).status_code == 200


def test_the_account_manager_creates_a_plan_and_sees_its_first_visit(client_for, account, skill):
    client = client_for("agent")
    # the picker lists the accounts they manage
    response = client.get(reverse("maintenance:create"))
    assert response.status_code == 200 and "Acme Mall" in response.content.decode()
    with pytest.MonkeyPatch.context() as mp:
        import time_machine

        with time_machine.travel(NOW, tick=False):
            mp.setattr("django.utils.timezone.localdate", lambda *a: date(2026, 3, 2))
            response = client.post(reverse("maintenance:create"), _post_data(skill, customer=account.pk))
    assert response.status_code == 302
    plan = MaintenancePlan.objects.get()
    assert plan.month_days == [[5, 20], [11, 15]] and plan.next_due_on == date(2026, 5, 20)
    page = client.get(response["Location"]).content.decode()
    assert "2026-05-20" in page and "2026-11-15" in page


@pytest.mark.parametrize(("over", "field"), [
    ({"month_days": "02-30"}, "month_days"),
    ({"kind": "months", "interval_months": ""}, "interval_months"),
    ({"checklist": "  "}, "checklist"),
    ({"start_on": "2026-13-01"}, "start_on"),
    ({"start_on": "9999-06-01"}, "start_on"),  # years past 9999 would overflow the schedule
    ({"kind": "hourly"}, "kind"),
])
def test_bad_input_goes_back_on_the_form_in_both_languages(client_for, account, skill, over, field, settings):
    client = client_for("supervisor")
    for lang in ("en", "zh-hans"):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
        response = client.post(reverse("maintenance:create"), _post_data(skill, customer=account.pk, **over))
        assert response.status_code == 200
        assert field in response.context["form"].errors
    assert not MaintenancePlan.objects.exists()


def test_titles_are_escaped(client_for, account, plan_factory):
    plan = plan_factory(account, title="<script>alert(1)</script>")
    body = client_for("supervisor").get(reverse("maintenance:detail", args=[plan.pk])).content.decode()
    assert "<script>alert(1)" not in body and "&lt;script&gt;" in body


@pytest.mark.parametrize("query", ["customer=abc", "customer=99999999999999999999999", "due_within=-1",
                                   "account_manager=x", "active=maybe", "page=zz"])
def test_bad_filters_do_not_break_the_list(client_for, plan, query):
    assert client_for("supervisor").get(reverse("maintenance:list") + "?" + query).status_code == 200


def test_bad_customer_on_create_shows_the_picker(client_for):
    client = client_for("supervisor")
    for raw in ("abc", "0", "99999999999999999999999"):
        assert client.get(reverse("maintenance:create") + f"?customer={raw}").status_code == 200


def test_list_filters(client_for, customer_factory, region, plan_factory, personas):
    a = _managed(customer_factory(name="A", address="R", region=region), personas.agent)
    b = _managed(customer_factory(name="B", address="R", region=region), personas.agent2)
    soon = plan_factory(a, title="Soon plan", start_on=date(2026, 3, 10))
    late = plan_factory(b, title="Late plan", start_on=date(2026, 9, 1))
    paused = plan_factory(b, title="Paused plan", active=False)
    client = client_for("supervisor")
    url = reverse("maintenance:list")

    def titles(query):
        return {p.title for p in client.get(url + "?" + query).context["page"].object_list}

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("django.utils.timezone.localdate", lambda *a: date(2026, 3, 2))
        assert titles("") == {soon.title, late.title}
        assert titles(f"customer={a.pk}") == {soon.title}
        assert titles(f"account_manager={personas.agent2.pk}") == {late.title}
        assert titles("due_within=30") == {soon.title}
        assert titles("active=no") == {paused.title}
        assert titles("active=all") == {soon.title, late.title, paused.title}


def test_list_and_detail_keep_a_fixed_number_of_queries(client_for, customer_factory, region, plan_factory,
                                                        personas, technician, django_assert_max_num_queries):
    client = client_for("supervisor")
    first = plan_factory(_managed(customer_factory(name="C0", address="R", region=region), personas.agent),
                         start_on=date(2026, 3, 5))
    visits_create_due(now=NOW)
    with django_assert_max_num_queries(12) as one:
        client.get(reverse("maintenance:list"))
    with django_assert_max_num_queries(16) as detail_one:
        client.get(reverse("maintenance:detail", args=[first.pk]))
    for i in range(1, 30):
        plan_factory(_managed(customer_factory(name=f"C{i}", address="R", region=region), personas.agent2),
                     start_on=date(2026, 3, 5))
    for month in (4, 5, 6):
        visits_create_due(now=NOW.replace(month=month, day=1), dispatch=False)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse("maintenance:list"))
    assert len(response.context["page"].object_list) == 25 and response.context["page"].has_next
    with django_assert_max_num_queries(len(detail_one.captured_queries)):
        client.get(reverse("maintenance:detail", args=[first.pk]))


def test_the_list_pages(client_for, customer_factory, region, plan_factory):
    for i in range(27):
        plan_factory(customer_factory(name=f"P{i}", address="R", region=region), start_on=date(2026, 3, 5))
    response = client_for("manager").get(reverse("maintenance:list") + "?page=2&active=yes")
    assert len(response.context["page"].object_list) == 2
    assert "active=yes" in response.context["query_string"]
