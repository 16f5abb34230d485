"""Issue 19 item 12 (PIPL): retention — what was kept long enough goes, once per month, in bounded batches,
with a report; never what is still within its time; never twice, even with two beats at once."""
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from customers import privacy, retention
from customers.models import PersonalDataAccess, RetentionPolicy, RetentionRun
from tickets.models import Ticket, TicketAttachment, TicketReply
from tickets.services import attachment_add, ticket_reply, ticket_resolve, ticket_transition

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
OLD = datetime(2022, 3, 1, 10, 0, tzinfo=SH)
RECENT = datetime(2026, 9, 1, 10, 0, tzinfo=SH)
NOW = datetime(2026, 12, 1, 4, 0, tzinfo=SH)


def _closed_ticket(ticket_factory, personas, customer, at, subject):
    with time_machine.travel(at, tick=False):
        t = ticket_factory(customer=customer, subject=subject, description=f"{customer.name} 138 1234 5678 家里漏水",
                           now=at)
        ticket_reply(ticket=t, author=personas.agent, body=f"尊敬的{customer.name}客户，师傅明天上门。", public=True, now=at)
        attachment_add(ticket=t, uploaded_by=personas.agent, file=SimpleUploadedFile("p.png", PNG, "image/png"),
                       content_type="image/png", now=at)
        ticket_resolve(ticket=t, actor=personas.agent, solution="换了阀门", now=at + timedelta(hours=1))
        ticket_transition(ticket=t, to_status=Ticket.Status.CLOSED, actor=personas.agent, now=at + timedelta(hours=2))
    return t


@pytest.fixture
def world(customer_factory, ticket_factory, personas):
    customer = customer_factory(name="欧阳娜娜", phone="13812345678")
    old = _closed_ticket(ticket_factory, personas, customer, OLD, "old leak")
    recent = _closed_ticket(ticket_factory, personas, customer, RECENT, "recent leak")
    privacy.record_view(user=personas.agent, customer_id=customer.pk, place="customer_page", now=OLD)
    privacy.record_view(user=personas.agent, customer_id=customer.pk, place="ticket_page", now=RECENT)
    return customer, old, recent


def test_a_run_removes_what_is_past_its_time_and_keeps_the_rest(world, django_capture_on_commit_callbacks):
    customer, old, recent = world
    storage = TicketAttachment.objects.first().file.storage
    old_file = TicketAttachment.objects.get(ticket=old).file.name
    assert retention.due_counts(now=NOW) == {"tickets": 1, "files": 1, "recordings": 0, "access_logs": 1}

    with django_capture_on_commit_callbacks(execute=True):
        run = retention.retention_run(now=NOW)

    assert (run.tickets, run.files, run.access_logs, run.finished_at is not None) == (1, 1, 1, True)
    old.refresh_from_db()
    recent.refresh_from_db()
    # the old ticket: the facts stay (status, solution, dates), the person goes from its text and files
    assert old.status == Ticket.Status.CLOSED and old.solution == "换了阀门" and old.personal_data_removed_at
    assert "欧阳娜娜" not in old.description and "138 1234 5678" not in old.description
    assert "欧阳娜娜" not in TicketReply.objects.get(ticket=old).body
    assert not TicketAttachment.objects.filter(ticket=old).exists() and not storage.exists(old_file)
    # the recent one and the customer record are untouched
    assert "欧阳娜娜" in recent.description and recent.personal_data_removed_at is None
    assert TicketAttachment.objects.filter(ticket=recent).exists()
    customer.refresh_from_db()
    assert customer.name == "欧阳娜娜"
    assert list(PersonalDataAccess.objects.values_list("place", flat=True)) == ["ticket_page"]
    # a second tick the same month does nothing; the month's run is the report
    assert retention.retention_run(now=NOW + timedelta(hours=1)) is None
    assert RetentionRun.objects.count() == 1


def test_an_empty_box_keeps_that_kind(world):
    RetentionPolicy.objects.update_or_create(pk=1, defaults={"ticket_years": None, "file_months": None,
                                                             "access_log_months": 36})
    run = retention.retention_run(now=NOW)
    assert (run.tickets, run.files, run.access_logs) == (0, 0, 1)
    assert Ticket.objects.filter(personal_data_removed_at__isnull=False).count() == 0


def test_a_run_out_of_time_is_continued_by_the_next_tick(world):
    run = retention.retention_run(now=NOW, time_budget=0)  # the budget ends before the first batch
    assert run.finished_at is None and run.lease_until is None and run.tickets == 0
    run = retention.retention_run(now=NOW + timedelta(hours=1))
    assert run.finished_at is not None and (run.tickets, run.files, run.access_logs) == (1, 1, 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_beats_at_once_run_the_month_once(customer_factory, ticket_factory, personas):
    customer = customer_factory(name="欧阳娜娜", phone="13812345678")
    tickets = [_closed_ticket(ticket_factory, personas, customer, OLD + timedelta(days=i), f"t{i}") for i in range(6)]
    for i in range(30):
        privacy.record_view(user=personas.agent, customer_id=customer.pk, place="customer_page", ref=str(i), now=OLD)
    barrier, results = threading.Barrier(2), []

    def beat():
        try:
            barrier.wait()
            results.append(retention.retention_run(now=NOW))
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    ran = [r for r in results if r is not None]
    assert len(ran) == 1 and len(results) == 2
    run = RetentionRun.objects.get()
    assert (run.tickets, run.files, run.access_logs) == (6, 6, 30) and run.finished_at is not None
    assert Ticket.objects.filter(pk__in=[t.pk for t in tickets], personal_data_removed_at__isnull=False).count() == 6


def test_the_retention_page(world, client_for):
    client = client_for("manager")
    url = reverse("customers:retention")
    with time_machine.travel(NOW, tick=False):
        page = client.get(url).content.decode()
    assert 'id="retention-due"' in page and "No run yet." in page
    bad = client.post(url, {"ticket_years": "0", "file_months": "24", "access_log_months": "2"})
    assert bad.status_code == 200 and "is-invalid" in bad.content.decode()
    assert client.post(url, {"ticket_years": "5", "file_months": "", "access_log_months": "24"}).status_code == 302
    policy = RetentionPolicy.current()
    assert (policy.ticket_years, policy.file_months, policy.access_log_months) == (5, None, 24)
    retention.retention_run(now=NOW)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "个人信息保留期限" in page and "2026-12" in page
    assert client_for("supervisor").get(url).status_code == 403
