"""Renewal reminders: each rule once per contract (or asset) and end date; late sweeps catch up once, never
after the end; tasks to the account manager or, without one, to the supervisors; SMS says what happened."""
import threading
from datetime import date, timedelta

import pytest

from contracts.models import Reminder, ReminderRule
from contracts.services import reminder_done, reminders_sweep
from servicedesk.models import Notification, OutboxMessage

from .conftest import TODAY, at

pytestmark = pytest.mark.django_db


def test_each_default_offset_fires_on_its_day_and_only_once(managed_customer, make_contract, personas):
    # given a contract ending 60 days after TODAY
    contract = make_contract(managed_customer, end=TODAY + timedelta(days=60))
    # when the daily sweep runs every day up to the end (and twice on some days)
    for i in range(0, 62):
        reminders_sweep(now=at(2026, 11, 16) + timedelta(days=i))
        if i % 10 == 0:
            reminders_sweep(now=at(2026, 11, 16, 15) + timedelta(days=i))
    # then one task (day 60), one notice (day 7), one SMS (day 3)
    rows = {r.action: r for r in Reminder.objects.filter(contract=contract)}
    assert set(rows) == {"task", "notice", "sms"} and Reminder.objects.filter(contract=contract).count() == 3
    assert rows["task"].created_at.date() == TODAY and rows["task"].assignee == personas.agent
    assert rows["notice"].created_at.date() == contract.end_date - timedelta(days=7)
    assert rows["sms"].created_at.date() == contract.end_date - timedelta(days=3)
    assert rows["sms"].outcome == "queued"
    sms = OutboxMessage.objects.get(kind="contracts.expiry_sms")
    assert sms.to == "+8613900000001" and contract.number in sms.body
    kinds = list(Notification.objects.filter(recipient=personas.agent).values_list("kind", flat=True))
    assert sorted(kinds) == ["renewal_notice", "renewal_task"]


def test_sweep_after_downtime_gives_one_reminder_per_offset(managed_customer, make_contract):
    # given a contract ending in 5 days and a sweep that never ran for two months
    contract = make_contract(managed_customer, end=TODAY + timedelta(days=5))
    # when the sweep runs now, twice
    first = reminders_sweep(now=at(2026, 11, 16))
    second = reminders_sweep(now=at(2026, 11, 16, 11))
    # then the missed 60-day task and 7-day notice are made once each; the 3-day SMS is not due yet
    assert first == {"task": 1, "notice": 1, "sms": 0, "not_sent": 0}
    assert second == {"task": 0, "notice": 0, "sms": 0, "not_sent": 0}
    assert sorted(Reminder.objects.filter(contract=contract).values_list("action", flat=True)) == ["notice", "task"]
    # and the late task records when it was really due
    task = Reminder.objects.get(contract=contract, action="task")
    assert task.due_on == contract.end_date - timedelta(days=60)


def test_nothing_after_the_end_date(managed_customer, make_contract):
    make_contract(managed_customer, end=TODAY - timedelta(days=1))
    assert reminders_sweep(now=at(2026, 11, 16)) == {"task": 0, "notice": 0, "sms": 0, "not_sent": 0}
    assert not Reminder.objects.exists()


def test_a_new_end_date_arms_the_rules_again(managed_customer, make_contract, personas, level):
    from contracts.services import contract_save

    contract = make_contract(managed_customer, end=TODAY + timedelta(days=50))
    reminders_sweep(now=at(2026, 11, 16))
    contract_save(by=personas.supervisor, customer=managed_customer, level=level, start_date=contract.start_date,
                  end_date=TODAY + timedelta(days=55), price=contract.price, contract=contract)
    reminders_sweep(now=at(2026, 11, 17))
    assert Reminder.objects.filter(contract=contract, action="task").count() == 2


def test_warranty_ends_are_reminded_too(managed_customer, personas):
    from customers.services import asset_create

    asset = asset_create(customer=managed_customer, created_by=personas.frontdesk, product="Chiller",
                         install_date=date(2024, 1, 1), warranty_end=TODAY + timedelta(days=2))
    reminders_sweep(now=at(2026, 11, 16))
    assert sorted(Reminder.objects.filter(asset=asset).values_list("action", flat=True)) == ["notice", "sms", "task"]


def test_without_account_manager_the_supervisors_hear_and_the_task_is_unassigned(customer_factory, make_contract,
                                                                               personas, client):
    customer = customer_factory(name="No Manager Ltd")
    make_contract(customer, end=TODAY + timedelta(days=30))
    personas.agent  # exists, not the customer's account manager
    reminders_sweep(now=at(2026, 11, 16))
    task = Reminder.objects.get(action="task")
    assert task.assignee is None
    bell = Notification.objects.get(kind="renewal_task")
    assert bell.recipient == personas.supervisor
    client.force_login(personas.supervisor)
    page = client.get(bell.url)
    assert page.status_code == 200 and customer.name in page.content.decode()


def test_account_manager_who_cannot_open_renewals_is_passed_over(customer_factory, make_contract, personas):
    from customers.models import Customer

    customer = customer_factory(name="Front Desk Managed")
    Customer.objects.filter(pk=customer.pk).update(account_manager=personas.frontdesk)
    personas.supervisor
    make_contract(customer, end=TODAY + timedelta(days=30))
    reminders_sweep(now=at(2026, 11, 16))
    assert Reminder.objects.get(action="task").assignee is None
    assert not Notification.objects.filter(recipient=personas.frontdesk).exists()


def test_sms_not_sent_says_why(customer_factory, make_contract):
    from customers.models import Customer, CustomerPhone

    no_mobile = customer_factory(name="Landline Only")
    CustomerPhone.objects.filter(customer=no_mobile).update(label=CustomerPhone.Label.LANDLINE)
    stopped = customer_factory(name="Stopped")
    Customer.objects.filter(pk=stopped.pk).update(progress_messages_stopped=True)
    make_contract(no_mobile, end=TODAY + timedelta(days=3))
    make_contract(stopped, end=TODAY + timedelta(days=3))
    counts = reminders_sweep(now=at(2026, 11, 16))
    assert counts["sms"] == 0 and counts["not_sent"] == 2
    outcomes = dict(Reminder.objects.filter(action="sms").values_list("customer__name", "outcome"))
    assert outcomes == {"Landline Only": "no_mobile", "Stopped": "stopped"}
    assert not OutboxMessage.objects.filter(kind="contracts.expiry_sms").exists()
    assert str(Reminder.Outcome("no_mobile").label) == "Not sent: no mobile"


def test_sms_in_the_customers_language(customer_factory, make_contract):
    customer = customer_factory(name="王先生")
    make_contract(customer, end=TODAY + timedelta(days=3))
    reminders_sweep(now=at(2026, 11, 16))
    body = OutboxMessage.objects.get(kind="contracts.expiry_sms").body
    assert "王先生" in body and "到期" in body


def test_a_catch_up_at_night_holds_the_sms_until_quiet_hours_end(customer_factory, make_contract):
    customer = customer_factory(name="Night")
    make_contract(customer, end=TODAY + timedelta(days=3))
    reminders_sweep(now=at(2026, 11, 16, 23))
    sms = OutboxMessage.objects.get(kind="contracts.expiry_sms")
    assert sms.next_attempt_at == at(2026, 11, 17, 8)


def test_inactive_rule_sends_nothing(managed_customer, make_contract):
    ReminderRule.objects.update(active=False)
    make_contract(managed_customer, end=TODAY + timedelta(days=3))
    assert reminders_sweep(now=at(2026, 11, 16)) == {"task": 0, "notice": 0, "sms": 0, "not_sent": 0}


def test_batches_cover_everything(managed_customer, make_contract):
    for i in range(7):
        make_contract(managed_customer, end=TODAY + timedelta(days=30 + i % 2))
    counts = reminders_sweep(now=at(2026, 11, 16), batch=2)
    assert counts["task"] == 7 and Reminder.objects.filter(action="task").count() == 7


def test_task_done_once_and_only_by_its_people(managed_customer, make_contract, personas):
    from django.core.exceptions import ValidationError

    make_contract(managed_customer, end=TODAY + timedelta(days=30))
    reminders_sweep(now=at(2026, 11, 16))
    task = Reminder.objects.get(action="task")
    with pytest.raises(ValidationError):
        reminder_done(reminder=task, by=personas.agent2)
    reminder_done(reminder=task, by=personas.agent, now=at(2026, 11, 17))
    with pytest.raises(ValidationError, match="already"):
        reminder_done(reminder=task, by=personas.supervisor)
    task.refresh_from_db()
    assert task.done_by == personas.agent


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_racing_give_one_reminder(personas, customer_factory, level):
    from contracts.services import contract_save
    from customers.models import Customer

    customers = []
    for i in range(30):
        c = customer_factory(name=f"Race {i}")
        Customer.objects.filter(pk=c.pk).update(account_manager=personas.agent)
        c.refresh_from_db()
        contract_save(by=personas.supervisor, customer=c, level=level, start_date=date(2025, 1, 1),
                      end_date=TODAY + timedelta(days=2), price=0)
        customers.append(c)
    barrier = threading.Barrier(2)
    errors = []

    def run():
        from django.db import connections

        try:
            barrier.wait()
            reminders_sweep(now=at(2026, 11, 16), batch=7)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert Reminder.objects.filter(action="task").count() == 30
    assert Reminder.objects.filter(action="notice").count() == 30
    assert Reminder.objects.filter(action="sms").count() == 30
    assert OutboxMessage.objects.filter(kind="contracts.expiry_sms").count() == 30
    assert Notification.objects.filter(kind="renewal_task").count() == 30


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_sweep_with_nothing_new_reads_index_keys_only(managed_customer, make_contract):
    """Issue 17 §7: the daily sweep must not re-read the contracts it already reminded about. Their keys stay in
    the rule's window until they end, so the due query is answered from indexes alone (contract_due_idx for the
    range, reminder_once_per_contract for NOT EXISTS): no contract and no reminder row is fetched."""
    from django.db import connection, transaction

    from contracts.services import due_targets_query

    for i in range(40):
        make_contract(managed_customer, end=TODAY + timedelta(days=10 + i))
    reminders_sweep(now=at(2026, 11, 16))
    with connection.cursor() as cur:  # the visibility map, as autovacuum keeps it
        cur.execute("VACUUM ANALYZE contracts_servicecontract")
        cur.execute("VACUUM ANALYZE contracts_reminder")
    rule = ReminderRule.objects.get(target="contract", action="task")
    qs, _field = due_targets_query(rule, today=TODAY)
    sql, params = qs.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_bitmapscan = off")
        cur.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql, params)
        plan = "\n".join(row[0] for row in cur.fetchall())
    assert "Index Only Scan using contract_due_idx" in plan, plan
    assert "Index Only Scan using reminder_once_per_contract" in plan, plan
    assert "Heap Fetches: 0" in plan and "Heap Fetches: 1" not in plan, plan
    assert "rows=0 loops=1" in plan.splitlines()[0], plan
