"""Webhook deliveries through the outbox to a real local HTTP receiver: signed, logged, retried, replayed."""
import hashlib
import hmac
import json
import socket
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from servicedesk.models import OutboxMessage
from servicedesk.outbox import outbox_deliver
from tickets.services import ticket_create, ticket_transition
from webhooks import services
from webhooks.delivery import verify
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def webhook_rows():
    return OutboxMessage.objects.filter(channel="webhook").order_by("pk")


def deliver(now):
    """The outbox's one sending function, for the webhook rows only (a ticket also writes the
    customer's acknowledgement SMS, which is not what these tests are about)."""
    return outbox_deliver(message_ids=list(webhook_rows().values_list("pk", flat=True)), now=now)


@pytest.fixture
def open_ticket(customer_factory, personas):
    def _open(now=NOW, **kwargs):
        customer = kwargs.pop("customer", None) or customer_factory(name="Zhao Lei")
        return ticket_create(customer=customer, kind="repair", subject="Printer jams", created_by=personas.frontdesk,
                             now=now, **kwargs)

    return _open


def test_ticket_opened_is_posted_signed_with_a_timestamp(make_webhook, open_ticket, receiver):
    # given a webhook for "ticket opened"
    hook = make_webhook(events=["ticket.opened"])
    # when a ticket is opened and the outbox delivers
    ticket = open_ticket()
    row = webhook_rows().get()
    assert row.to == str(hook.pk) and row.subject == "ticket.opened" and row.status == "pending"
    before = int(time.time())
    assert deliver(NOW)["sent"] == 1
    # then the receiver got one POST, signed with the webhook's secret over "timestamp.body"
    (got,) = receiver.requests
    h = got.headers
    assert h["Content-Type"] == "application/json"
    assert h["X-ServiceDesk-Event"] == "ticket.opened"
    assert h["X-ServiceDesk-Delivery"] == row.idempotency_key
    assert before - 1 <= int(h["X-ServiceDesk-Timestamp"]) <= int(time.time()) + 1
    expected = hmac.new(hook.secret.encode(), h["X-ServiceDesk-Timestamp"].encode() + b"." + got.body,
                        hashlib.sha256).hexdigest()
    assert h["X-ServiceDesk-Signature"] == f"sha256={expected}"
    assert verify(hook.secret, h["X-ServiceDesk-Timestamp"], got.body, h["X-ServiceDesk-Signature"])
    assert not verify("whsec_wrong", h["X-ServiceDesk-Timestamp"], got.body, h["X-ServiceDesk-Signature"])
    assert "X-ServiceDesk-Replay-Of" not in h
    # and the payload names the event, its moment with the zone, and the ticket
    body = got.json
    assert body["id"] == row.idempotency_key and body["event"] == "ticket.opened"
    assert body["occurred_at"] == "2026-11-23T09:00:00+08:00"
    assert body["data"]["ticket"] == {
        "id": ticket.pk, "number": ticket.number, "kind": "repair", "status": "new", "priority": ticket.priority,
        "channel": "phone", "subject": "Printer jams", "customer_id": ticket.customer_id, "assignee_id": None,
        "created_at": "2026-11-23T09:00:00+08:00"}
    # and the attempt is logged with its answer
    log = WebhookDelivery.objects.get()
    assert (log.webhook, log.attempt, log.status_code, log.delivery_id) == (hook, 1, 200, row.idempotency_key)
    assert log.response_excerpt == '{"got": 200}' and log.duration_ms is not None and log.error == ""
    row.refresh_from_db()
    assert row.status == "sent"


def test_verify_rejects_an_old_timestamp_and_a_changed_body(make_webhook):
    from webhooks.delivery import sign

    secret = "whsec_x"
    signature = sign(secret, 1_700_000_000, b'{"a":1}')
    assert verify(secret, "1700000000", b'{"a":1}', signature, now=1_700_000_100)
    assert not verify(secret, "1700000000", b'{"a":1}', signature, now=1_700_000_000 + 301)  # too old
    assert not verify(secret, "1700000000", b'{"a":2}', signature, now=1_700_000_100)  # body changed
    assert not verify(secret, "not-a-number", b'{"a":1}', signature)


def test_status_change_names_both_statuses_and_who(make_webhook, open_ticket, receiver, personas):
    make_webhook(events=["ticket.status_changed"])
    ticket = open_ticket()
    assert not webhook_rows().exists()  # not subscribed to "opened"
    ticket_transition(ticket=ticket, to_status="acknowledged", actor=personas.agent, now=NOW + timedelta(minutes=5))
    deliver(NOW + timedelta(minutes=5))
    (got,) = receiver.requests
    data = got.json["data"]
    assert got.json["event"] == "ticket.status_changed"
    assert (data["old_status"], data["new_status"], data["actor"]) == ("new", "acknowledged", "agent")
    assert data["ticket"]["status"] == "acknowledged"
    assert got.json["occurred_at"] == "2026-11-23T09:05:00+08:00"


def test_not_subscribed_or_inactive_writes_nothing(make_webhook, open_ticket, receiver):
    make_webhook(events=["sla.breached", "survey.answered"], name="Only SLA")
    inactive = make_webhook(events=["ticket.opened"], name="Off")
    services.webhook_set_active(webhook=inactive, active=False)
    open_ticket()
    assert not webhook_rows().exists()
    assert deliver(NOW)["claimed"] == 0
    assert receiver.requests == []


def test_one_delivery_per_subscribed_webhook(make_webhook, open_ticket, receiver):
    hooks = [make_webhook(events=["ticket.opened"], name=f"H{i}") for i in range(3)]
    open_ticket()
    rows = list(webhook_rows())
    assert sorted(int(r.to) for r in rows) == sorted(h.pk for h in hooks)
    assert len({json.loads(r.body)["id"] for r in rows}) == 3  # each delivery its own id
    deliver(NOW)
    assert len(receiver.requests) == 3
    by_key = {h.pk: h.secret for h in hooks}
    for got, row in zip(sorted(receiver.requests, key=lambda r: r.headers["X-ServiceDesk-Delivery"]),
                        sorted(rows, key=lambda r: r.idempotency_key)):
        assert verify(by_key[int(row.to)], got.headers["X-ServiceDesk-Timestamp"], got.body,
                      got.headers["X-ServiceDesk-Signature"])


def test_500_is_retried_with_back_off_then_succeeds(make_webhook, open_ticket, receiver):
    make_webhook()
    receiver.answer(500, 200)
    open_ticket()
    row = webhook_rows().get()
    # first attempt: 500 → back to the queue for one minute (the outbox's first back-off)
    assert deliver(NOW)["failed"] == 1
    row.refresh_from_db()
    assert row.status == "pending" and row.next_attempt_at == NOW + timedelta(seconds=60)
    assert "HTTP 500" in row.last_error
    # not before the back-off ends
    assert deliver(NOW + timedelta(seconds=30))["claimed"] == 0
    assert deliver(NOW + timedelta(seconds=61))["sent"] == 1
    # the same delivery id both times, so the receiver can drop a duplicate
    assert [r.headers["X-ServiceDesk-Delivery"] for r in receiver.requests] == [row.idempotency_key] * 2
    log = list(WebhookDelivery.objects.order_by("attempt").values_list("attempt", "status_code"))
    assert log == [(1, 500), (2, 200)]


@pytest.mark.parametrize("status, permanent", [(410, True), (400, True), (404, True), (301, True),
                                               (408, False), (429, False), (503, False)])
def test_4xx_fails_at_once_but_408_429_and_5xx_are_retried(make_webhook, open_ticket, receiver, status, permanent):
    make_webhook()
    receiver.answer(status)
    open_ticket()
    counts = deliver(NOW)
    row = webhook_rows().get()
    if permanent:
        assert counts["gave_up"] == 1 and row.status == "failed" and row.attempts == 1
        assert f"HTTP {status}" in row.last_error and "PermanentDeliveryError" in row.last_error
    else:
        assert counts["failed"] == 1 and row.status == "pending"
    assert WebhookDelivery.objects.get().status_code == status


def test_gives_up_after_the_outbox_attempts(make_webhook, open_ticket, receiver, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    make_webhook()
    receiver.answer(502)
    open_ticket()
    at = NOW
    for _ in range(3):
        deliver(at)
        at += timedelta(hours=2)
    row = webhook_rows().get()
    assert row.status == "failed" and row.attempts == 3
    assert WebhookDelivery.objects.count() == 3


def test_timeout_is_logged_and_retried(make_webhook, open_ticket, receiver, settings):
    settings.WEBHOOKS_TIMEOUT_SECONDS = 0.5
    make_webhook()
    receiver.answer((200, 2))  # answers after 2 s: too late
    open_ticket()
    started = time.monotonic()
    assert deliver(NOW)["failed"] == 1
    assert time.monotonic() - started < 1.8
    log = WebhookDelivery.objects.get()
    assert log.status_code is None and "timed out" in log.error.lower()
    assert webhook_rows().get().status == "pending"


def test_connection_refused_is_retried(make_webhook, open_ticket):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nobody listens there now
    make_webhook(url=f"http://127.0.0.1:{port}/hook")
    open_ticket()
    assert deliver(NOW)["failed"] == 1
    assert "refused" in WebhookDelivery.objects.get().error.lower()


def test_replay_sends_the_same_payload_with_a_new_delivery_id(make_webhook, open_ticket, receiver, personas):
    make_webhook()
    open_ticket()
    deliver(NOW)
    original = webhook_rows().get()
    # when the manager replays it
    later = NOW + timedelta(hours=1)
    replay = services.webhook_replay(message=original, actor=personas.manager, now=later)
    assert replay.pk != original.pk and replay.idempotency_key != original.idempotency_key
    assert replay.body == original.body
    deliver(later)
    # then the receiver gets the same body, a new delivery id, and what it replays
    first, second = receiver.requests
    assert second.body == first.body
    assert second.headers["X-ServiceDesk-Delivery"] == replay.idempotency_key
    assert second.headers["X-ServiceDesk-Replay-Of"] == original.idempotency_key
    # and the log says who asked for it
    requested = WebhookDelivery.objects.get(attempt=0)
    assert requested.requested_by == personas.manager and requested.replay_of == original.idempotency_key
    sent = WebhookDelivery.objects.get(message=replay, attempt=1)
    assert sent.status_code == 200 and sent.replay_of == original.idempotency_key


def test_pending_delivery_of_a_deactivated_or_deleted_webhook_fails_with_the_reason(make_webhook, open_ticket,
                                                                                     receiver, personas):
    off = make_webhook(name="Off")
    gone = make_webhook(name="Gone")
    open_ticket()
    services.webhook_set_active(webhook=off, active=False)
    gone_pk = gone.pk
    gone.delete()
    counts = deliver(NOW)
    assert counts["gave_up"] == 2 and receiver.requests == []
    reasons = {row.to: row.last_error for row in webhook_rows()}
    assert "deactivated" in reasons[str(off.pk)] and "deleted" in reasons[str(gone_pk)]
    with pytest.raises(Exception, match="deactivated"):
        services.webhook_replay(message=webhook_rows().first(), actor=personas.manager)


def test_rotated_secret_signs_later_deliveries(make_webhook, open_ticket, receiver):
    hook = make_webhook()
    old = hook.secret
    services.webhook_rotate_secret(webhook=hook, now=NOW)
    assert hook.secret != old and hook.secret.startswith("whsec_")
    open_ticket()
    deliver(NOW)
    (got,) = receiver.requests
    args = (got.headers["X-ServiceDesk-Timestamp"], got.body, got.headers["X-ServiceDesk-Signature"])
    assert verify(hook.secret, *args) and not verify(old, *args)


def test_send_test_event_reaches_the_receiver_whatever_is_subscribed(make_webhook, receiver, personas):
    hook = make_webhook(events=["survey.answered"])
    services.webhook_send_test(webhook=hook, actor=personas.manager, now=NOW)
    deliver(NOW)
    (got,) = receiver.requests
    assert got.headers["X-ServiceDesk-Event"] == "webhook.test"
    assert got.json["data"]["webhook"] == {"id": hook.pk, "name": "ERP"}


def test_email_and_sms_kinds_still_go_their_way(make_webhook, open_ticket, receiver, settings):
    """The webhook channel is one more branch of the outbox's sender: e-mail rows still go by mail."""
    from django.core import mail

    from servicedesk.outbox import outbox_add

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    make_webhook()
    open_ticket()
    outbox_add(kind="test.mail", channel="email", to="a@example.com", subject="Hi", body="Hello", now=NOW)
    counts = outbox_deliver(now=NOW)
    assert counts["sent"] >= 2 and len(receiver.requests) == 1
    assert [m.to for m in mail.outbox if m.subject == "Hi"] == [["a@example.com"]]


def test_a_garbled_answer_is_logged_and_retried(make_webhook, open_ticket):
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def serve():
        conn, _addr = server.accept()
        conn.recv(65536)
        conn.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    make_webhook(url=f"http://127.0.0.1:{server.getsockname()[1]}/hook")
    open_ticket()
    assert deliver(NOW)["failed"] == 1
    thread.join(5)
    server.close()
    log = WebhookDelivery.objects.get()
    assert log.status_code is None and log.error  # e.g. "BadStatusLine: NOT HTTP AT ALL"
    assert webhook_rows().get().status == "pending"
