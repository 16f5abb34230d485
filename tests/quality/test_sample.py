"""The daily sample: exactly once per day; every complaint and every low survey score, plus a random share."""
import threading
from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection

from quality.models import DailySample, InspectionTask
from quality.services import sample_create_daily
from servicedesk.models import Notification

from .conftest import at

pytestmark = pytest.mark.django_db

MORNING = at(2026, 3, 11, 6, 30)  # the job's slot; the sample is the work of 10 March (local)


def _survey(ticket, *, overall, recommend, submitted_at):
    from followups.models import SurveyInvitation, SurveyResponse

    # resolving the ticket sent the customer its survey link: they answer it
    inv, _ = SurveyInvitation.objects.get_or_create(
        ticket=ticket, defaults={"customer": ticket.customer, "nonce": "n" * 8, "created_at": submitted_at,
                                 "expires_at": submitted_at + timedelta(days=14)})
    return SurveyResponse.objects.create(
        invitation=inv, overall=overall, reliability=3, responsiveness=3, assurance=3, empathy=3, tangibles=3,
        recommend=recommend, submitted_at=submitted_at, month=submitted_at.date().replace(day=1),
        customer=ticket.customer, ticket=ticket)


@pytest.fixture
def yesterday_work(settings, personas, make_ticket, customer_factory):
    from customers.models import Contact

    settings.QUALITY_SAMPLE_TICKETS = 2
    settings.QUALITY_SAMPLE_CONTACTS = 2
    customer = customer_factory(name="Wang Fang")
    resolved = [make_ticket(customer=customer, opened_at=at(2026, 3, 10, 9), resolve_at=at(2026, 3, 10, 9 + i))
                for i in range(6)]
    complaint = make_ticket(customer=customer, kind="complaint", opened_at=at(2026, 3, 10, 23, 50))
    older = make_ticket(customer=customer, opened_at=at(2026, 3, 5, 9), resolve_at=at(2026, 3, 6, 9))
    low = _survey(older, overall=2, recommend=9, submitted_at=at(2026, 3, 10, 20))
    happy_old = make_ticket(customer=customer, opened_at=at(2026, 3, 5, 9), resolve_at=at(2026, 3, 6, 10))
    _survey(happy_old, overall=5, recommend=10, submitted_at=at(2026, 3, 10, 21))
    not_yesterday = make_ticket(customer=customer, kind="complaint", opened_at=at(2026, 3, 11, 0, 5))
    contacts = [Contact.objects.create(customer=customer, handled_by=personas.frontdesk, started_at=at(2026, 3, 10, 10 + i))
                for i in range(3)]
    Contact.objects.create(customer=customer, handled_by=personas.frontdesk, started_at=at(2026, 3, 9, 10))
    return {"resolved": resolved, "complaint": complaint, "low": low.ticket, "happy_old": happy_old,
            "not_yesterday": not_yesterday, "contacts": contacts}


def test_every_complaint_and_low_score_plus_random_share(yesterday_work, personas,
                                                         django_capture_on_commit_callbacks):
    personas.supervisor, personas.manager, personas.technician  # noqa: B018 — they exist
    # when
    with time_machine.travel(MORNING, tick=False), django_capture_on_commit_callbacks(execute=True):
        sample = sample_create_daily()

    # then
    assert sample.day == date(2026, 3, 10)
    tasks = list(InspectionTask.objects.filter(sample=sample))
    by_reason = {}
    for t in tasks:
        by_reason.setdefault(t.reason, []).append(t)
    assert [t.ticket_id for t in by_reason["complaint"]] == [yesterday_work["complaint"].pk]
    assert [t.ticket_id for t in by_reason["low_score"]] == [yesterday_work["low"].pk]
    random_tickets = [t for t in by_reason["random"] if t.kind == "ticket"]
    random_contacts = [t for t in by_reason["random"] if t.kind == "contact"]
    assert len(random_tickets) == 2
    assert {t.ticket_id for t in random_tickets} <= {t.pk for t in yesterday_work["resolved"]}
    assert len(random_contacts) == 2
    assert {t.contact_id for t in random_contacts} <= {c.pk for c in yesterday_work["contacts"]}
    assert all(t.person_id == personas.frontdesk.pk for t in random_contacts)
    assert all(t.person_id == personas.agent.pk for t in by_reason["complaint"] + random_tickets)
    sampled = {t.ticket_id for t in tasks}
    assert yesterday_work["not_yesterday"].pk not in sampled and yesterday_work["happy_old"].pk not in sampled
    assert sample.size == len(tasks) == 6
    # the inspectors (supervisor and manager) are told once; the agent is not
    notes = Notification.objects.filter(url="/quality/inspections/")
    assert set(notes.values_list("recipient__username", flat=True)) == {"supervisor", "manager"}


def test_running_twice_creates_the_sample_once(yesterday_work, personas):
    with time_machine.travel(MORNING, tick=False):
        first = sample_create_daily()
        n = InspectionTask.objects.count()
    with time_machine.travel(MORNING + timedelta(hours=1), tick=False):
        second = sample_create_daily()

    assert first is not None and second is None
    assert DailySample.objects.count() == 1
    assert InspectionTask.objects.count() == n


def test_the_beat_task_runs_the_service_once_per_day(yesterday_work):
    from quality.tasks import sample_create_daily_task
    from servicedesk.celery import PERIODIC_TASKS

    assert PERIODIC_TASKS["quality-daily-sample"] == "quality.tasks.sample_create_daily_task"
    with time_machine.travel(MORNING, tick=False):
        assert sample_create_daily_task.delay().get() == 6
        assert sample_create_daily_task.delay().get() == 0
    assert DailySample.objects.count() == 1


def test_a_quiet_day_still_gets_its_row(db):
    with time_machine.travel(MORNING, tick=False):
        sample = sample_create_daily()
    assert sample.size == 0
    assert sample_create_daily(now=MORNING) is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_make_one_sample(yesterday_work):
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(sample_create_daily(now=MORNING))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert errors == []
    assert sorted(r is None for r in results) == [False, True]
    assert DailySample.objects.count() == 1
    assert InspectionTask.objects.count() == 6


def test_complaints_and_low_scores_are_in_even_with_no_random_share(yesterday_work, settings):
    settings.QUALITY_SAMPLE_TICKETS = settings.QUALITY_SAMPLE_CONTACTS = settings.QUALITY_SAMPLE_WORK_ORDERS = 0
    with time_machine.travel(MORNING, tick=False):
        sample = sample_create_daily()
    assert dict(InspectionTask.objects.filter(sample=sample).values_list("ticket_id", "reason")) == {
        yesterday_work["complaint"].pk: "complaint", yesterday_work["low"].pk: "low_score"}


def test_closed_work_orders_are_sampled_for_their_technician(settings, personas, close_work_order):
    settings.QUALITY_SAMPLE_TICKETS = 0
    wo, _ticket = close_work_order(closed_at=at(2026, 3, 10, 16))
    with time_machine.travel(MORNING, tick=False):
        sample = sample_create_daily()
    task = InspectionTask.objects.get(sample=sample, kind="work_order")
    assert (task.work_order_id, task.person_id, task.occurred_at) == (wo.pk, personas.technician.pk, at(2026, 3, 10, 16))
