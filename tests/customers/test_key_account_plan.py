"""Issue 17 on the customer: account manager (supervisors name them, logged), care dates, service plan."""
from datetime import date

import pytest
from django.urls import reverse

from customers.models import CustomerEvent, ServicePlan
from customers.services import customer_set_account_manager, service_plan_save

pytestmark = pytest.mark.django_db


def _form(customer, **extra):
    return {"kind": "organisation", "name": customer.name, "phone1": customer.phones.first().number,
            "label1": "mobile", "label2": "landline", "label3": "office", "tier": "basic", "is_key_account": "on",
            **extra}


def test_supervisor_names_the_account_manager_logged(customer_factory, personas, client_for):
    c = customer_factory(name="Huaxin Hotel", kind="organisation")
    client = client_for("supervisor")
    response = client.post(reverse("customers:edit", args=[c.pk]),
                           _form(c, account_manager=personas.agent.pk, care_date="2001-05-20", care_greetings="on"))
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.account_manager == personas.agent and c.care_date == date(2001, 5, 20) and c.care_greetings
    ev = CustomerEvent.objects.get(customer=c, kind=CustomerEvent.Kind.ACCOUNT_MANAGER_CHANGED)
    assert ev.actor == personas.supervisor
    page = client.get(reverse("customers:detail", args=[c.pk])).content.decode()
    assert 'id="account-manager"' in page and "Agent" in page and 'id="service-plan"' in page


def test_agent_edits_care_dates_but_cannot_name_a_manager(customer_factory, personas, client_for):
    c = customer_factory(name="Huaxin Hotel", kind="organisation")
    client = client_for("agent")
    form_page = client.get(reverse("customers:edit", args=[c.pk])).content.decode()
    if client.get(reverse("customers:edit", args=[c.pk])).status_code == 403:
        pytest.skip("agents do not edit customers")
    assert 'name="account_manager"' not in form_page
    client.post(reverse("customers:edit", args=[c.pk]), _form(c, account_manager=personas.agent.pk,
                                                              care_date="2001-05-20"))
    c.refresh_from_db()
    assert c.account_manager is None and c.care_date == date(2001, 5, 20)


def test_technicians_and_system_accounts_cannot_be_account_managers(customer_factory, personas):
    from django.core.exceptions import ValidationError

    from servicedesk.services import system_user

    c = customer_factory(name="Huaxin Hotel")
    for person in (personas.technician, system_user(username="portal", display_name="网上服务")):
        with pytest.raises(ValidationError):
            customer_set_account_manager(customer=c, account_manager=person, changed_by=personas.supervisor)
    with pytest.raises(ValidationError):
        customer_set_account_manager(customer=c, account_manager=personas.agent, changed_by=personas.agent)


def test_service_plan_edited_by_manager_supervisor_not_others(customer_factory, personas, client_for):
    c = customer_factory(name="Huaxin Hotel", kind="organisation", is_key_account=True)
    customer_set_account_manager(customer=c, account_manager=personas.agent, changed_by=personas.supervisor)
    url = reverse("customers:service_plan", args=[c.pk])
    assert client_for("agent2").get(url).status_code == 403
    assert client_for("frontdesk").get(url).status_code == 403
    assert client_for("supervisor").get(url).status_code == 200
    client = client_for("agent")  # the account manager
    data = {"summary": "Quarterly inspection; <script>x</script>", "items-TOTAL_FORMS": "3",
            "items-INITIAL_FORMS": "0", "items-MIN_NUM_FORMS": "0", "items-MAX_NUM_FORMS": "50",
            "items-0-kind": "contact", "items-0-title": "Mr Wang, engineering", "items-0-details": "139 0000 0000",
            "items-1-kind": "inspection", "items-1-title": "Every 3 months", "items-1-details": "",
            "items-2-kind": "", "items-2-title": "", "items-2-details": ""}
    assert client.post(url, data).status_code == 302
    plan = ServicePlan.objects.get(customer=c)
    assert [i.kind for i in plan.items.all()] == ["contact", "inspection"]
    page = client.get(reverse("customers:detail", args=[c.pk])).content.decode()
    assert "Mr Wang, engineering" in page and "&lt;script&gt;" in page
    # a title without a kind goes back to the form
    data.update({"items-2-title": "Lobby site"})
    assert client.post(url, data).status_code == 200
    assert plan.items.count() == 2


def test_service_plan_save_replaces_items(customer_factory, personas):
    c = customer_factory(name="Huaxin Hotel", is_key_account=True)
    service_plan_save(customer=c, actor=personas.supervisor, summary="v1",
                      items=[{"kind": "site", "title": "Lobby"}, {"kind": "term", "title": "4 h on site"}])
    plan = service_plan_save(customer=c, actor=personas.supervisor, summary="v2", items=[{"kind": "site", "title": "Roof"}])
    assert plan.summary == "v2" and [i.title for i in plan.items.all()] == ["Roof"]
    assert CustomerEvent.objects.filter(customer=c, kind=CustomerEvent.Kind.SERVICE_PLAN_CHANGED).count() == 2
