"""The manager's webhook pages: who may open them, what they do, and a fixed number of queries."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from servicedesk.models import OutboxMessage
from servicedesk.outbox import outbox_deliver
from webhooks import services
from webhooks.models import Webhook, WebhookDelivery

pytestmark = pytest.mark.django_db

ROLES = [("manager", True), ("supervisor", False), ("agent", False), ("frontdesk", False), ("technician", False),
         ("outsider", False), (None, False)]


@pytest.fixture
def hook(make_webhook):
    return make_webhook(events=["ticket.opened", "sla.breached"])


@pytest.fixture
def logged_delivery(hook, personas):
    message = services.webhook_send_test(webhook=hook, actor=personas.manager)
    outbox_deliver(message_ids=[message.pk])
    return WebhookDelivery.objects.get(message=message)


def _urls(hook, delivery):
    return [("get", reverse("webhooks:list")), ("get", reverse("webhooks:create")),
            ("get", reverse("webhooks:detail", args=[hook.pk])), ("get", reverse("webhooks:edit", args=[hook.pk])),
            ("post", reverse("webhooks:rotate", args=[hook.pk])), ("post", reverse("webhooks:toggle", args=[hook.pk])),
            ("post", reverse("webhooks:test", args=[hook.pk])),
            ("post", reverse("webhooks:delivery_replay", args=[delivery.pk]))]


@pytest.mark.parametrize("role, allowed", ROLES)
def test_only_managers_open_any_webhook_page(client_for, hook, logged_delivery, role, allowed):
    client = client_for(role)
    for method, url in _urls(hook, logged_delivery):
        response = getattr(client, method)(url)
        if allowed:
            assert response.status_code == (200 if method == "get" else 302), url
        elif role is None:
            assert response.status_code == 302 and "/login/" in response["Location"], url
        else:
            assert response.status_code == 403, url
    if not allowed:  # nothing changed behind a refusal
        fresh = Webhook.objects.get(pk=hook.pk)
        assert fresh.secret == hook.secret and fresh.active
        assert OutboxMessage.objects.filter(channel="webhook").count() == 1


def test_get_on_an_action_is_refused(client_for, hook):
    assert client_for("manager").get(reverse("webhooks:rotate", args=[hook.pk])).status_code == 405


def test_manager_registers_a_webhook_and_sees_its_secret(client_for, personas, receiver):
    client = client_for("manager")
    response = client.post(reverse("webhooks:create"), {"name": "ERP", "url": receiver.url,
                                                        "events": ["ticket.opened", "workorder.closed"]})
    hook = Webhook.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("webhooks:detail", args=[hook.pk])
    assert hook.event_list == ["ticket.opened", "workorder.closed"] and hook.created_by == personas.manager
    page = client.get(response["Location"]).content.decode()
    assert hook.secret in page and receiver.url in page


@pytest.mark.parametrize("data", [
    {"name": "ERP", "url": "ftp://example.com/x", "events": ["ticket.opened"]},
    {"name": "ERP", "url": "http://example.com/x", "events": []},
    {"name": "ERP", "url": "http://example.com/x", "events": ["nope"]},
    {"name": "", "url": "http://example.com/x", "events": ["ticket.opened"]},
    {"name": "ERP", "url": "x" * 600, "events": ["ticket.opened"]},
])
def test_bad_input_is_a_400_with_the_form(client_for, data):
    response = client_for("manager").post(reverse("webhooks:create"), data)
    assert response.status_code == 400 and not Webhook.objects.exists()


def test_private_address_refused_on_the_form_in_production(client_for, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    response = client_for("manager").post(reverse("webhooks:create"), {
        "name": "ERP", "url": "http://127.0.0.1:9000/hook", "events": ["ticket.opened"]})
    assert response.status_code == 400 and "private" in response.content.decode()
    assert not Webhook.objects.exists()


def test_edit_rotate_deactivate_and_test(client_for, hook, receiver):
    client = client_for("manager")
    response = client.post(reverse("webhooks:edit", args=[hook.pk]), {
        "name": "ERP 2", "url": receiver.url, "events": ["survey.answered"], "active": "on"})
    assert response.status_code == 302
    hook.refresh_from_db()
    assert hook.name == "ERP 2" and hook.event_list == ["survey.answered"]
    old = hook.secret
    client.post(reverse("webhooks:rotate", args=[hook.pk]))
    hook.refresh_from_db()
    assert hook.secret != old and hook.secret_rotated_at is not None
    client.post(reverse("webhooks:test", args=[hook.pk]))
    assert OutboxMessage.objects.filter(channel="webhook", subject="webhook.test").count() == 1
    client.post(reverse("webhooks:toggle", args=[hook.pk]))
    hook.refresh_from_db()
    assert hook.active is False
    # a test event to a deactivated webhook is refused with a message, not written
    response = client.post(reverse("webhooks:test", args=[hook.pk]), follow=True)
    assert "deactivated" in response.content.decode()
    assert OutboxMessage.objects.filter(channel="webhook", subject="webhook.test").count() == 1


def test_replay_from_the_log_page(client_for, hook, logged_delivery, receiver, personas):
    client = client_for("manager")
    response = client.post(reverse("webhooks:delivery_replay", args=[logged_delivery.pk]))
    assert response.status_code == 302
    replay = OutboxMessage.objects.filter(channel="webhook").order_by("-pk").first()
    assert replay.pk != logged_delivery.message_id
    outbox_deliver(message_ids=[replay.pk])
    assert receiver.requests[-1].headers["X-ServiceDesk-Replay-Of"] == logged_delivery.delivery_id
    page = client.get(reverse("webhooks:detail", args=[hook.pk])).content.decode()
    assert "replay requested" in page and logged_delivery.delivery_id[:10] in page


def test_log_shows_response_codes(client_for, hook, receiver, personas):
    receiver.answer(503)
    message = services.webhook_send_test(webhook=hook, actor=personas.manager)
    outbox_deliver(message_ids=[message.pk])
    page = client_for("manager").get(reverse("webhooks:detail", args=[hook.pk])).content.decode()
    assert ">503<" in page and "webhook.test" in page


def _fill_log(hook, n):
    message = services.webhook_send_test(webhook=hook, actor=hook.created_by)
    now = timezone.now()
    WebhookDelivery.objects.bulk_create([
        WebhookDelivery(webhook=hook, message=message, delivery_id=message.idempotency_key, event="webhook.test",
                        attempt=i + 1, status_code=500 if i % 2 else 200, duration_ms=12,
                        requested_by=hook.created_by if i % 3 == 0 else None, replay_of="abc" if i % 3 == 0 else "",
                        at=now - timedelta(minutes=i))
        for i in range(n)])


@pytest.mark.parametrize("n", [1, 60])
def test_detail_page_queries_do_not_grow_with_the_log(client_for, hook, n, django_assert_max_num_queries):
    _fill_log(hook, n)
    client = client_for("manager")
    client.get(reverse("webhooks:detail", args=[hook.pk]))  # warm: session, permissions
    with django_assert_max_num_queries(8):
        response = client.get(reverse("webhooks:detail", args=[hook.pk]))
    assert response.status_code == 200
    assert response.content.decode().count('name="csrfmiddlewaretoken"') >= min(n, 50)


@pytest.mark.parametrize("n", [1, 40])
def test_list_page_queries_do_not_grow_with_the_webhooks(client_for, make_webhook, n, django_assert_max_num_queries):
    for i in range(n):
        make_webhook(name=f"Hook {i:02d}")
    client = client_for("manager")
    client.get(reverse("webhooks:list"))
    with django_assert_max_num_queries(7):
        response = client.get(reverse("webhooks:list"))
    body = response.content.decode()
    assert "Hook 00" in body
    if n > 30:  # paginated, never cut silently
        assert "page=2" in body and "Hook 39" not in body


def test_admin_replay_action(client, personas, hook, logged_delivery, receiver):
    personas.manager.is_staff = True
    personas.manager.save()
    client.force_login(personas.manager)
    url = reverse("admin:webhooks_webhookdelivery_changelist")
    assert client.get(url).status_code == 200
    response = client.post(url, {"action": "replay", "_selected_action": [logged_delivery.pk]})
    assert response.status_code == 302
    replays = OutboxMessage.objects.filter(channel="webhook").exclude(pk=logged_delivery.message_id)
    assert replays.count() == 1
    assert WebhookDelivery.objects.filter(attempt=0, requested_by=personas.manager).count() == 1


def test_admin_cannot_change_the_address_around_the_check(client, personas, hook):
    personas.manager.is_staff = True
    personas.manager.save()
    client.force_login(personas.manager)
    url = reverse("admin:webhooks_webhook_change", args=[hook.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"name": "Renamed", "url": "http://169.254.169.254/", "active": "on"})
    hook.refresh_from_db()
    assert hook.name == "Renamed" and hook.url != "http://169.254.169.254/"
