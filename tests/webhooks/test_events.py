"""Every event reaches a subscribed receiver with its own payload: SLA breach (the sweep, set-based),
work order closed, survey answered; and the address rules for registering a URL."""
import json
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from servicedesk.models import OutboxMessage
from servicedesk.outbox import outbox_deliver
from tickets.services import ticket_create
from webhooks import services
from webhooks.models import Webhook

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
OPENED = datetime(2026, 11, 23, 9, 0, tzinfo=SH)  # Monday; first response due Tuesday 09:00


def webhook_rows(event=None):
    rows = OutboxMessage.objects.filter(channel="webhook").order_by("pk")
    return rows.filter(subject=event) if event else rows


def deliver(now):
    return outbox_deliver(message_ids=list(webhook_rows().values_list("pk", flat=True)), now=now)


def test_sla_breach_from_the_sweep_one_query_and_one_delivery_per_clock_and_webhook(make_webhook, customer_factory,
                                                                                    personas, receiver):
    from sla.services import sla_sweep

    # given two webhooks for breaches (one also for openings) and four tickets opened at the same time
    make_webhook(events=["sla.breached"], name="A")
    make_webhook(events=["sla.breached", "ticket.opened"], name="B")
    tickets = [ticket_create(customer=customer_factory(name=f"C{i}"), kind="repair", subject=f"Fault {i}",
                             created_by=personas.frontdesk, now=OPENED) for i in range(4)]
    webhook_rows().delete()  # the openings: not what this test is about
    sla_sweep(now=OPENED + timedelta(hours=18))  # the warnings at 75 % are not breaches
    assert not webhook_rows().exists()
    # when the sweep runs just after the first-response deadline
    with time_machine.travel(datetime(2026, 11, 24, 9, 0, 30, tzinfo=SH), tick=False):
        with CaptureQueriesContext(connection) as ctx:
            result = sla_sweep()
    assert result.fired["breach"] == 4
    # then one delivery per breached clock per webhook, the subscriptions read at most once (kept per thread
    # while no webhook changes: here they were read for the openings)
    assert sum("webhooks_webhook" in q["sql"] for q in ctx.captured_queries) <= 1
    # and the tickets are read once for the batch, whatever the payload quotes of them (the sweep loads
    # only SWEEP_TICKET_FIELDS: a payload field outside them would read each ticket again)
    ticket_reads = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT") and 'FROM "tickets_ticket"' in q["sql"]]
    assert len(ticket_reads) == 2, ticket_reads  # the batch's claim, and the rollup's dimensions
    rows = list(webhook_rows("sla.breached"))
    assert len(rows) == 8
    deliver(datetime(2026, 11, 24, 9, 0, 30, tzinfo=SH))
    assert len(receiver.requests) == 8
    body = receiver.requests[0].json
    assert body["event"] == "sla.breached" and body["occurred_at"] == "2026-11-24T09:00:00+08:00"
    assert body["data"]["target"] == "first_response" and body["data"]["deadline"] == "2026-11-24T09:00:00+08:00"
    assert {r.json["data"]["ticket"]["number"] for r in receiver.requests} == {t.number for t in tickets}
    # and a second sweep breaches nothing new: nothing more is written
    sla_sweep(now=datetime(2026, 11, 24, 9, 1, tzinfo=SH))
    assert webhook_rows("sla.breached").count() == 8


def test_sweep_without_breach_subscribers_writes_nothing(make_webhook, customer_factory, personas):
    from sla.services import sla_sweep

    make_webhook(events=["ticket.opened"])
    ticket_create(customer=customer_factory(), kind="repair", subject="x", created_by=personas.frontdesk, now=OPENED)
    assert sla_sweep(now=datetime(2026, 11, 24, 9, 1, tzinfo=SH)).fired["breach"] == 1
    assert not webhook_rows("sla.breached").exists()


def _closed_work_order(personas, customer_factory, closed_at):
    """As tests/followups/conftest.py's close_work_order: a signed-off order closed through dispatch."""
    from customers.models import Region
    from dispatch import services as ds
    from dispatch.models import Skill, Technician, WorkOrder

    region = Region.objects.get_or_create(code="chaoyang", defaults={"name": "Chaoyang"})[0]
    customer = customer_factory(name="王芳", address="朝阳区建国路 88 号", region=region)
    opened = closed_at.replace(hour=9, minute=0)
    ticket = ticket_create(customer=customer, kind="repair", subject="空调不制冷", created_by=personas.agent,
                           assignee=personas.agent, now=opened)
    skill = Skill.objects.get_or_create(code="aircon", defaults={"name": "Air conditioning"})[0]
    tech = Technician.objects.get_or_create(user=personas.technician)[0]
    wo = ds.workorder_create(ticket=ticket, created_by=personas.agent, skill=skill, estimated_value=Decimal("800"),
                             window_start=opened, window_end=closed_at, now=opened)
    WorkOrder.objects.filter(pk=wo.pk).update(status="done", technician=tech, signed_at=closed_at,
                                               signed_by_name="王芳", work_done="Refilled refrigerant")
    wo.refresh_from_db()
    ds.workorder_close(work_order=wo, actor=personas.supervisor, now=closed_at)
    return wo, ticket


def test_work_order_closed(make_webhook, personas, customer_factory, receiver):
    make_webhook(events=["workorder.closed"])
    closed_at = datetime(2026, 11, 20, 16, 30, tzinfo=SH)
    wo, ticket = _closed_work_order(personas, customer_factory, closed_at)
    (row,) = webhook_rows()
    assert row.subject == "workorder.closed"
    deliver(closed_at)
    (got,) = receiver.requests
    data = got.json["data"]
    assert got.json["occurred_at"] == "2026-11-20T16:30:00+08:00"
    assert data["work_order"]["id"] == wo.pk and data["work_order"]["number"] == wo.number
    assert data["work_order"]["status"] == "closed" and data["work_order"]["technician_id"] == wo.technician_id
    assert data["ticket"]["number"] == ticket.number


def test_survey_answered(make_webhook, personas, customer_factory, receiver):
    from followups.services import survey_invitation_create, survey_submit

    ticket = ticket_create(customer=customer_factory(), kind="repair", subject="x", created_by=personas.frontdesk,
                           now=OPENED)
    invitation = survey_invitation_create(ticket=ticket, now=OPENED + timedelta(days=1))
    make_webhook(events=["survey.answered"])
    answered = OPENED + timedelta(days=2)
    response = survey_submit(invitation=invitation, now=answered, answers={
        "overall": 5, "reliability": 4, "responsiveness": 5, "assurance": 4, "empathy": 5, "tangibles": 4,
        "recommend": 9, "comment": "很好 thanks"})
    (row,) = webhook_rows()
    deliver(answered)
    (got,) = receiver.requests
    survey = got.json["data"]["survey"]
    assert got.json["event"] == "survey.answered" and survey["id"] == response.pk
    assert (survey["overall"], survey["recommend"], survey["comment"]) == (5, 9, "很好 thanks")
    assert got.json["data"]["ticket"]["number"] == ticket.number
    assert "很好" in got.body.decode()  # UTF-8 JSON, not \u escapes


def test_a_failing_receiver_does_not_touch_the_cause(make_webhook, customer_factory, personas, receiver):
    """The delivery is written with the ticket; a refusing receiver changes nothing about the ticket."""
    make_webhook()
    receiver.answer(500)
    ticket = ticket_create(customer=customer_factory(), kind="repair", subject="x", created_by=personas.frontdesk,
                           now=OPENED)
    deliver(OPENED)
    ticket.refresh_from_db()
    assert ticket.status == "new" and webhook_rows().get().status == "pending"


# --- address rules ------------------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["ftp://example.com/hook", "file:///etc/passwd", "javascript:alert(1)", "example.com"])
def test_only_http_and_https(personas, url):
    with pytest.raises(ValidationError) as err:
        services.webhook_create(name="X", url=url, events=["ticket.opened"], created_by=personas.manager)
    assert "url" in err.value.message_dict
    assert not Webhook.objects.exists()


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/hook", "http://localhost/hook", "http://10.1.2.3/hook",
                                 "https://192.168.1.5/hook", "http://[::1]/hook", "http://169.254.169.254/latest",
                                 "http://0.0.0.0/"])
def test_private_addresses_are_refused_in_production(personas, settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError) as err:
        services.webhook_create(name="X", url=url, events=["ticket.opened"], created_by=personas.manager)
    assert "private" in " ".join(err.value.message_dict["url"]) or "resolved" in " ".join(err.value.message_dict["url"])


def test_public_ip_literal_is_accepted_in_production(personas, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    hook = services.webhook_create(name="X", url="https://1.1.1.1/hook", events=["ticket.opened"],
                                   created_by=personas.manager)
    assert hook.url == "https://1.1.1.1/hook"


def test_address_checked_again_when_sending(make_webhook, customer_factory, personas, receiver, settings):
    """Registered while private addresses were allowed (or a name that now resolves to one): refused at send."""
    make_webhook()
    ticket_create(customer=customer_factory(), kind="repair", subject="x", created_by=personas.frontdesk, now=OPENED)
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    assert deliver(OPENED)["gave_up"] == 1
    assert receiver.requests == [] and "private" in webhook_rows().get().last_error


def test_events_are_required_and_known(personas):
    with pytest.raises(ValidationError):
        services.webhook_create(name="X", url="http://example.com/", events=[], created_by=personas.manager)
    with pytest.raises(ValidationError):
        services.webhook_create(name="X", url="http://example.com/", events=["ticket.deleted"],
                                created_by=personas.manager)


def test_payload_is_compact_json_with_the_event_id(make_webhook, customer_factory, personas):
    make_webhook()
    ticket_create(customer=customer_factory(), kind="repair", subject="x", created_by=personas.frontdesk, now=OPENED)
    row = webhook_rows().get()
    body = json.loads(row.body)
    assert set(body) == {"id", "event", "occurred_at", "data"} and body["id"] == row.idempotency_key
