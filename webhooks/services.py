"""Webhooks: registering URLs, and turning domain events into signed deliveries through the outbox.

Events come from the areas' signals (tickets, dispatch, sla, followups), inside the transaction of
their cause; each is written as one outbox row per subscribed webhook (channel "webhook", ``to`` =
the webhook's id, body = the JSON payload whose ``id`` is the row's idempotency key), so a delivery
exists exactly when its cause was committed (style.md §14). Cost on the hot path: one query for the
active webhooks, and with subscribers one bulk INSERT (servicedesk/outbox.py).
"""
import json
from collections.abc import Callable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.models import OutboxMessage
from servicedesk.outbox import Outgoing, new_key, outbox_add_many
from servicedesk.shared_memo import SharedMemo

from .delivery import AddressRefused, check_url
from .models import TEST_EVENT, Event, Webhook, WebhookDelivery, new_secret

KIND = "webhook"


# --- payloads --------------------------------------------------------------------------------------
def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def ticket_data(ticket) -> dict:
    """What a receiver learns about a ticket: ids, number, state. No customer details (domain.md §2:
    customer data is confidential); a receiver with a token reads more through the API."""
    return {"id": ticket.pk, "number": ticket.number, "kind": ticket.kind, "status": ticket.status,
            "priority": int(ticket.priority), "channel": ticket.channel, "subject": ticket.subject,
            "customer_id": ticket.customer_id, "assignee_id": ticket.assignee_id, "created_at": _iso(ticket.created_at)}


def payload(*, key: str, event: str, occurred_at: datetime, data: dict) -> str:
    return json.dumps({"id": key, "event": event, "occurred_at": _iso(occurred_at), "data": data},
                      cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def _load_subscriptions() -> list[tuple[int, frozenset]]:
    return [(w.pk, frozenset(w.event_list)) for w in Webhook.objects.filter(active=True).only("id", "events")
            .order_by("name", "pk")]


# (id, events) of every active webhook, kept per thread while no webhook changed (servicedesk.shared_memo):
# a ticket opened or a sweep batch reads none (a department registers a handful).
SUBSCRIPTIONS = SharedMemo("webhooks:subscriptions:version", _load_subscriptions)


def subscribed(event: str) -> list[int]:
    """The ids of the active webhooks that want this event."""
    return [pk for pk, events in SUBSCRIPTIONS.get() if event in events]


def events_emit(*, event: str, items: Callable[[], list[tuple[dict, datetime]]],
                now: datetime | None = None) -> list[OutboxMessage]:
    """Write one delivery per (item, subscribed webhook) into the outbox, in the caller's transaction.

    ``items()`` gives (data, occurred_at) pairs: one for a ticket opened, one per breached clock of a sweep
    batch. It is called only when a webhook wants the event: with none (most departments) a sweep batch
    builds no payloads. Set-based (style.md §16): one SELECT, one bulk INSERT, whatever the number of items.
    """
    hooks = subscribed(event)
    if not hooks:
        return []
    items = items()
    if not items:
        return []
    outgoing = []
    for data, occurred_at in items:
        for hook_id in hooks:
            key = new_key()
            outgoing.append(Outgoing(kind=KIND, channel=OutboxMessage.Channel.WEBHOOK, to=str(hook_id), subject=event,
                                     body=payload(key=key, event=event, occurred_at=occurred_at, data=data),
                                     idempotency_key=key))
    return outbox_add_many(outgoing, now=now)


# --- receivers (connected in apps.py) ----------------------------------------------------------------
def on_ticket_opened(sender, *, ticket, now=None, **kwargs) -> None:
    now = now or timezone.now()
    events_emit(event=Event.TICKET_OPENED, items=lambda: [({"ticket": ticket_data(ticket)}, now)], now=now)


def on_ticket_status_changed(sender, *, ticket, old_status, new_status, actor=None, now=None, **kwargs) -> None:
    now = now or timezone.now()
    events_emit(event=Event.TICKET_STATUS_CHANGED, items=lambda: [(
        {"ticket": ticket_data(ticket), "old_status": old_status, "new_status": new_status,
         "actor": actor.get_username() if actor is not None else None}, now)], now=now)


def on_clocks_breached(sender, *, clocks, now=None, **kwargs) -> None:
    now = now or timezone.now()
    events_emit(event=Event.SLA_BREACHED, items=lambda: [
        ({"ticket": ticket_data(c.ticket), "target": c.target, "deadline": _iso(c.deadline),
          "breached_at": _iso(c.breached_at)}, c.breached_at or now) for c in clocks], now=now)


def on_workorder_closed(sender, *, work_order, now=None, **kwargs) -> None:
    now = now or timezone.now()
    wo = work_order
    events_emit(event=Event.WORKORDER_CLOSED, items=lambda: [(
        {"work_order": {"id": wo.pk, "number": wo.number, "status": wo.status,
                        "technician_id": wo.technician_id, "closed_at": _iso(wo.closed_at or now)},
         "ticket": ticket_data(wo.ticket)}, now)], now=now)


def on_survey_answered(sender, *, response, now=None, **kwargs) -> None:
    now = now or timezone.now()
    r = response

    def items():
        survey = {"id": r.pk, "overall": r.overall, "reliability": r.reliability, "responsiveness": r.responsiveness,
                  "assurance": r.assurance, "empathy": r.empathy, "tangibles": r.tangibles, "recommend": r.recommend,
                  "comment": r.comment, "submitted_at": _iso(r.submitted_at),
                  "work_order_id": r.invitation.work_order_id}
        return [({"survey": survey, "ticket": ticket_data(r.ticket) if r.ticket_id else None}, now)]

    events_emit(event=Event.SURVEY_ANSWERED, items=items, now=now)


# --- the manager's actions ---------------------------------------------------------------------------
def _clean(*, name: str, url: str, events: list[str]) -> tuple[str, str, str]:
    name = (name or "").strip()
    url = (url or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the webhook a name.")})
    try:
        check_url(url)
    except AddressRefused as exc:
        raise ValidationError({"url": str(exc)}) from None
    unknown = [e for e in events if e not in Event.values]
    if not events or unknown:
        raise ValidationError({"events": _("Choose at least one event.")})
    return name, url, " ".join(e for e in Event.values if e in events)


def webhook_create(*, name: str, url: str, events: list[str], created_by) -> Webhook:
    """Register a URL for events; its signing secret is random and shown to the manager."""
    name, url, codes = _clean(name=name, url=url, events=events)
    webhook = Webhook(name=name, url=url, events=codes, created_by=created_by)
    webhook.full_clean()
    webhook.save()
    return webhook


def webhook_update(*, webhook: Webhook, name: str, url: str, events: list[str], active: bool) -> Webhook:
    webhook.name, webhook.url, webhook.events = _clean(name=name, url=url, events=events)
    webhook.active = active
    webhook.full_clean()
    webhook.save()
    return webhook


def webhook_rotate_secret(*, webhook: Webhook, now: datetime | None = None) -> Webhook:
    """A new secret at once; deliveries not yet sent are signed with it (they are signed when sent)."""
    webhook.secret = new_secret()
    webhook.secret_rotated_at = now or timezone.now()
    webhook.save(update_fields=["secret", "secret_rotated_at", "updated_at"])
    return webhook


def webhook_set_active(*, webhook: Webhook, active: bool) -> Webhook:
    """Deactivated: no new deliveries, and pending ones fail with that reason when their turn comes."""
    webhook.active = active
    webhook.save(update_fields=["active", "updated_at"])
    return webhook


def webhook_send_test(*, webhook: Webhook, actor, now: datetime | None = None) -> OutboxMessage:
    """A "webhook.test" delivery to this webhook, whatever it subscribes to, so the receiver can be checked."""
    if not webhook.active:
        raise ValidationError(_("This webhook is deactivated: activate it first."), code="inactive")
    now = now or timezone.now()
    key = new_key()
    data = {"webhook": {"id": webhook.pk, "name": webhook.name}, "requested_by": actor.get_username(),
            "message": "Test event from ServiceDesk"}
    with transaction.atomic():
        return outbox_add_many([Outgoing(kind=KIND, channel=OutboxMessage.Channel.WEBHOOK, to=str(webhook.pk),
                                         subject=TEST_EVENT, idempotency_key=key,
                                         body=payload(key=key, event=TEST_EVENT, occurred_at=now, data=data))],
                               now=now)[0]


def webhook_replay(*, message: OutboxMessage, actor, now: datetime | None = None) -> OutboxMessage:
    """Send a delivery again: a new outbox row with the same payload and a new delivery id; the sender
    adds ``X-ServiceDesk-Replay-Of: <the payload's id>``. The request is logged with who asked."""
    if message.channel != OutboxMessage.Channel.WEBHOOK:
        raise ValidationError(_("Only webhook deliveries can be replayed."), code="not_webhook")
    webhook = Webhook.objects.filter(pk=int(message.to) if message.to.isdigit() else None).first()
    if webhook is None or not webhook.active:
        raise ValidationError(_("This webhook is deactivated or deleted: activate it before replaying."),
                              code="inactive")
    now = now or timezone.now()
    try:
        original = json.loads(message.body).get("id", "")
    except ValueError:
        original = ""
    with transaction.atomic():
        new = outbox_add_many([Outgoing(kind=KIND, channel=OutboxMessage.Channel.WEBHOOK, to=message.to,
                                        subject=message.subject, body=message.body)], now=now)[0]
        WebhookDelivery.objects.create(webhook=webhook, message=new, delivery_id=new.idempotency_key,
                                       event=message.subject, attempt=0, replay_of=original or message.idempotency_key,
                                       requested_by=actor, at=now)
    return new
