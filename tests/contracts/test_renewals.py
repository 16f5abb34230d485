"""My renewals and care dates: what each account manager sees, done tasks, fixed queries."""
from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse

from contracts.models import Reminder
from contracts.selectors import care_customers, care_days
from contracts.services import care_greetings_send, reminders_sweep
from customers.models import Customer
from servicedesk.models import OutboxMessage

from .conftest import TODAY, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def renewals(managed_customer, make_contract, personas):
    from customers.services import asset_create

    contract = make_contract(managed_customer, end=TODAY + timedelta(days=40))
    asset = asset_create(customer=managed_customer, created_by=personas.frontdesk, product="Chiller",
                         install_date=date(2024, 1, 1), warranty_end=TODAY + timedelta(days=80))
    reminders_sweep(now=at(2026, 11, 16))
    return contract, asset


@time_machine.travel(at(2026, 11, 16), tick=False)
def test_the_account_manager_sees_their_renewals_and_marks_a_task_done(renewals, client_for):
    contract, asset = renewals
    client = client_for("agent")
    body = client.get(reverse("contracts:renewals")).content.decode()
    assert contract.number in body and "Chiller" in body
    task = Reminder.objects.get(action="task", contract=contract)
    response = client.post(reverse("contracts:reminder_done", args=[task.pk]), {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == reverse("contracts:renewals")
    task.refresh_from_db()
    assert task.done_at is not None
    # a second click says so instead of failing
    response = client.post(reverse("contracts:reminder_done", args=[task.pk]), follow=True)
    assert "already marked done" in response.content.decode()


@time_machine.travel(at(2026, 11, 16), tick=False)
def test_another_agent_cannot_close_the_task_nor_choose_a_manager(renewals, personas, client):
    task = Reminder.objects.get(action="task", contract=renewals[0])
    client.force_login(personas.agent2)
    assert client.post(reverse("contracts:reminder_done", args=[task.pk])).status_code == 403
    body = client.get(reverse("contracts:renewals") + f"?manager={personas.agent.pk}").content.decode()
    assert renewals[0].number not in body  # an agent always sees their own
    assert client.post(reverse("contracts:reminder_done", args=[99999999])).status_code == 404


@time_machine.travel(at(2026, 11, 16), tick=False)
def test_supervisor_chooses_any_account_manager(renewals, personas, client_for):
    client = client_for("supervisor")
    body = client.get(reverse("contracts:renewals") + f"?manager={personas.agent.pk}").content.decode()
    assert renewals[0].number in body
    assert client.get(reverse("contracts:renewals") + "?manager=none").status_code == 200
    for bad in ("?manager=abc", "?days=5", "?tpage=-1", "?manager=999999999999999999999"):
        assert client.get(reverse("contracts:renewals") + bad).status_code == 200


@time_machine.travel(at(2026, 11, 16), tick=False)
def test_the_days_filter(renewals, client_for):
    body = client_for("agent").get(reverse("contracts:renewals") + "?days=60").content.decode()
    assert renewals[0].number in body and "Chiller" not in body.split("Warranties ending")[1]


@pytest.mark.parametrize("count", [1, 25])
def test_renewals_page_fixed_queries(count, managed_customer, make_contract, client_for, django_assert_max_num_queries):
    from customers.services import asset_create

    for i in range(count):
        make_contract(managed_customer, end=TODAY + timedelta(days=10 + i))
        asset_create(customer=managed_customer, created_by=managed_customer.owner or managed_customer.account_manager,
                     product=f"Unit {i}", warranty_end=TODAY + timedelta(days=20 + i))
    reminders_sweep(now=at(2026, 11, 16))
    client = client_for("agent")
    with time_machine.travel(at(2026, 11, 16), tick=False), django_assert_max_num_queries(14):
        assert client.get(reverse("contracts:renewals")).status_code == 200


@pytest.mark.parametrize("count", [1, 25])
def test_care_page_fixed_queries(count, personas, customer_factory, client_for, django_assert_max_num_queries):
    for i in range(count):
        c = customer_factory(name=f"Care {i}")
        Customer.objects.filter(pk=c.pk).update(account_manager=personas.agent, care_date=date(1980, 11, 16 + i % 5))
    client = client_for("agent")
    with time_machine.travel(at(2026, 11, 16), tick=False), django_assert_max_num_queries(10):
        body = client.get(reverse("contracts:care_dates")).content.decode()
    assert "Care 0" in body


# --- care dates -----------------------------------------------------------------------------------------
def test_care_days_wrap_the_year_end_and_show_feb_29_on_feb_28():
    days = care_days(date(2026, 12, 28))
    assert [(m, d) for _s, m, d in days] == [(12, 28), (12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3), (1, 4)]
    feb = care_days(date(2027, 2, 27), ahead=1)
    assert (date(2027, 2, 28), 2, 29) in feb
    assert (date(2028, 2, 28), 2, 29) not in care_days(date(2028, 2, 27), ahead=1)


def test_care_list_for_the_account_manager(personas, customer_factory):
    def person(name, day, manager=personas.agent):
        c = customer_factory(name=name)
        Customer.objects.filter(pk=c.pk).update(account_manager=manager, care_date=day)

    person("Leap", date(1996, 2, 29))
    person("New Year", date(1990, 1, 2))
    person("Too Late", date(1990, 3, 10))
    person("Not Mine", date(1990, 2, 28), manager=personas.agent2)
    rows, total = care_customers(manager=personas.agent, today=date(2027, 2, 25))
    assert [(d, c.name) for d, c in rows] == [(date(2027, 2, 28), "Leap")] and total == 1
    rows, _total = care_customers(manager=personas.agent, today=date(2026, 12, 30))
    assert [(d, c.name) for d, c in rows] == [(date(2027, 1, 2), "New Year")]


def test_greeting_once_a_year_only_with_consent(customer_factory):
    yes = customer_factory(name="Yes")
    no = customer_factory(name="No")
    stopped = customer_factory(name="Stopped")
    Customer.objects.filter(pk__in=[yes.pk, no.pk, stopped.pk]).update(care_date=date(1985, 11, 16))
    Customer.objects.filter(pk__in=[yes.pk, stopped.pk]).update(care_greetings=True)
    Customer.objects.filter(pk=stopped.pk).update(progress_messages_stopped=True)
    first = care_greetings_send(now=at(2026, 11, 16))
    again = care_greetings_send(now=at(2026, 11, 16, 15))
    assert first == {"queued": 1, "not_sent": 1} and again == {"queued": 0, "not_sent": 0}
    sms = OutboxMessage.objects.get(kind="contracts.greeting_sms")
    assert sms.to == "+8613900000001" and "Yes" in sms.body
    # next year again, once
    assert care_greetings_send(now=at(2027, 11, 16))["queued"] == 1


def test_greeting_for_feb_29_on_feb_28_of_a_common_year(customer_factory):
    c = customer_factory(name="Leapling")
    Customer.objects.filter(pk=c.pk).update(care_date=date(1996, 2, 29), care_greetings=True)
    assert care_greetings_send(now=at(2027, 2, 27))["queued"] == 0
    assert care_greetings_send(now=at(2027, 2, 28))["queued"] == 1


def test_greeting_template_in_the_customers_language(customer_factory):
    from contracts.models import ContractSettings

    cfg = ContractSettings.current()
    cfg.greeting_en, cfg.greeting_zh = "Hello {name} from {service}", "{name}您好"
    cfg.save()
    en = customer_factory(name="Ann", preferred_language="en")
    zh = customer_factory(name="李娜")
    Customer.objects.filter(pk__in=[en.pk, zh.pk]).update(care_date=date(1985, 11, 16), care_greetings=True)
    care_greetings_send(now=at(2026, 11, 16))
    bodies = set(OutboxMessage.objects.filter(kind="contracts.greeting_sms").values_list("body", flat=True))
    assert "李娜您好" in bodies and any(b.startswith("Hello Ann from") for b in bodies)


def test_template_with_an_unknown_variable_is_refused():
    from django.core.exceptions import ValidationError

    from contracts.models import ContractSettings

    cfg = ContractSettings.current()
    cfg.greeting_zh = "{nmae}您好"
    with pytest.raises(ValidationError, match="nmae"):
        cfg.full_clean()


@time_machine.travel(at(2026, 11, 16), tick=False)
def test_open_tasks_follow_a_new_account_manager(renewals, personas):
    from customers.services import customer_set_account_manager

    contract, _asset = renewals
    customer = contract.customer
    assert set(Reminder.objects.filter(action="task", done_at__isnull=True).values_list("assignee", flat=True)) == {
        personas.agent.pk}
    # the supervisor names agent2: the open tasks are theirs now
    customer_set_account_manager(customer=customer, account_manager=personas.agent2, changed_by=personas.supervisor)
    assert set(Reminder.objects.filter(action="task", done_at__isnull=True).values_list("assignee", flat=True)) == {
        personas.agent2.pk}
    # the front desk may be an account manager but cannot open My renewals: the tasks wait for the supervisors
    customer_set_account_manager(customer=customer, account_manager=personas.frontdesk, changed_by=personas.supervisor)
    assert set(Reminder.objects.filter(action="task", done_at__isnull=True).values_list("assignee", flat=True)) == {
        None}


def test_merging_keeps_the_account_manager_care_date_and_consent_and_one_greeting_a_year(customer_factory, personas):
    from contracts.models import CareGreeting
    from customers.services import customer_merge

    survivor = customer_factory(name="王芳")
    duplicate = customer_factory(name="王芳 (dup)")
    Customer.objects.filter(pk=duplicate.pk).update(account_manager=personas.agent, care_date=date(1980, 5, 4),
                                                    care_greetings=True)
    for c in (survivor, duplicate):
        CareGreeting.objects.create(customer=c, year=2026, outcome="queued", created_at=at(2026, 5, 4))
    customer_merge(survivor=survivor, duplicate=Customer.objects.get(pk=duplicate.pk), merged_by=personas.supervisor)
    survivor.refresh_from_db()
    assert (survivor.account_manager, survivor.care_date, survivor.care_greetings) == (
        personas.agent, date(1980, 5, 4), True)
    assert CareGreeting.objects.filter(customer=survivor, year=2026).count() == 1
