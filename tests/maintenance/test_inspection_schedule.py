"""Issue 17 §2/§6: a key account's inspection schedule is its maintenance plans, shown in its service plan."""
import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def key_account(account):
    account.is_key_account = True
    account.save(update_fields=["is_key_account"])
    return account


def test_service_plan_lists_the_inspection_plans(key_account, plan_factory, client_for):
    plan = plan_factory(key_account, title="Chiller inspection")
    page = client_for("supervisor").get(reverse("customers:detail", args=[key_account.pk])).content.decode()
    block = page.split('id="inspection-plans"')[1].split('id="lifecycle-links"')[0]
    assert "Chiller inspection" in block and reverse("maintenance:detail", args=[plan.pk]) in block
    assert "2026-03-05" in block  # its next visit
    assert f'{reverse("maintenance:create")}?customer={key_account.pk}' in block


def test_who_may_add_and_open(key_account, plan_factory, personas, client_for):
    plan = plan_factory(key_account, title="Chiller inspection")
    url = reverse("customers:detail", args=[key_account.pk])
    create = f'{reverse("maintenance:create")}?customer={key_account.pk}'
    # the account manager (the agent persona) adds plans for their own account
    agent_page = client_for("agent").get(url).content.decode()
    assert create in agent_page and reverse("maintenance:detail", args=[plan.pk]) in agent_page
    # front desk sees the schedule but neither adds plans nor gets a link it could not open
    frontdesk = client_for("frontdesk").get(url)
    assert frontdesk.status_code == 200
    page = frontdesk.content.decode()
    assert "Chiller inspection" in page and create not in page
    assert reverse("maintenance:detail", args=[plan.pk]) not in page
    assert client_for("frontdesk").get(reverse("maintenance:detail", args=[plan.pk])).status_code == 403
    # those who cannot open the customer see no schedule at all
    for role in ("technician", "outsider"):
        assert client_for(role).get(url).status_code == 403


def test_not_a_key_account_no_schedule_and_the_empty_state(account, key_account, client_for):
    page = client_for("supervisor").get(reverse("customers:detail", args=[key_account.pk])).content.decode()
    assert "inspections are not scheduled yet" in page
    key_account.is_key_account = False
    key_account.save(update_fields=["is_key_account"])
    page = client_for("supervisor").get(reverse("customers:detail", args=[key_account.pk])).content.decode()
    assert 'id="inspection-plans"' not in page


def test_more_plans_than_shown_says_so(key_account, plan_factory, client_for, django_assert_max_num_queries):
    from maintenance.selectors import INSPECTIONS_SHOWN

    plan_factory(key_account)
    client = client_for("supervisor")
    url = reverse("customers:detail", args=[key_account.pk])
    client.get(url)
    with django_assert_max_num_queries(100) as one:
        client.get(url)
    for i in range(INSPECTIONS_SHOWN):
        plan_factory(key_account, title=f"Plan {i}")
    with django_assert_max_num_queries(100) as many:
        page = client.get(url).content.decode()
    assert len(many.captured_queries) == len(one.captured_queries)
    assert "Only the next 10 are shown" in page
