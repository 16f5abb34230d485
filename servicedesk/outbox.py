"""The transactional outbox: every message that leaves the database goes through here (style.md §14).

Writing: ``outbox_add`` / ``outbox_add_many`` insert the message rows inside the caller's
transaction (the ticket reply, the SLA escalation, the survey invitation...), so the message exists
if and only if its cause was committed. After commit one Celery task is queued as the fast path.

Delivering: ``outbox_deliver`` is the ONE function that sends. The fast-path task calls it with the
ids it was given; the periodic ``outbox-sweep`` calls it for whatever is due (the broker was down,
a process died between commit and queuing, a worker was killed, a send failed and backed off). It

1. claims due rows in one short transaction — ``SELECT … FOR UPDATE SKIP LOCKED`` (PostgreSQL) on
   the partial index ``outbox_due_idx``, then a compare-and-set UPDATE to ``sending`` with a fresh
   claim token and a lease (``OUTBOX_LEASE_SECONDS``); two workers never claim the same row;
2. sends each claimed row (e-mail through Django's mail settings, SMS through the pluggable backend
   in followups/delivery.py, webhooks as a signed POST by webhooks/delivery.py), passing the row's
   idempotency key (Message-ID / X-Idempotency-Key for e-mail, ``idempotency_key=`` for SMS,
   ``X-ServiceDesk-Delivery`` for webhooks);
3. marks it sent, or back to ``pending`` with a back-off, or ``failed`` after
   ``OUTBOX_MAX_ATTEMPTS`` — again by compare-and-set on the claim token. A backend that raises
   ``PermanentDeliveryError`` (the gateway refused this message for good: a bad number, a rejected
   template) gets ``failed`` at once: retrying cannot help, and a manager sees the reason now.

What "exactly once" means here: a row is sent by at most one claimant at a time and marked once. The
only duplicate left is a claimant that dies (kill -9, power loss) or hangs past its lease AFTER the
transport accepted the message and BEFORE the mark committed: the row is claimed again when the lease
expires and sent again with the SAME idempotency key, so a receiver that honours the key (or our
counting test backend) sees it once. No transport offers more than that; nothing is ever lost.
"""
import logging
import secrets
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from .bulk import build, insert_many
from .models import OutboxMessage
from .queue import enqueue_on_commit

logger = logging.getLogger(__name__)

Status = OutboxMessage.Status
DUE_STATUSES = [Status.PENDING, Status.SENDING]

# Documented in README ("Outbox"): 8 attempts with a doubling pause of 1, 2, 4, … 60 minutes is about
# four hours of trying before a message is shown to a manager as undeliverable.
MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 60
BACKOFF_MAX_SECONDS = 3600
LEASE_SECONDS = 300
SWEEP_BATCH = 100


def max_attempts() -> int:
    return int(getattr(settings, "OUTBOX_MAX_ATTEMPTS", MAX_ATTEMPTS))


def lease() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "OUTBOX_LEASE_SECONDS", LEASE_SECONDS)))


def backoff(attempts: int) -> timedelta:
    """Pause before the next attempt after ``attempts`` failed ones: 1, 2, 4, 8 … minutes, at most 1 h."""
    base = int(getattr(settings, "OUTBOX_BACKOFF_BASE_SECONDS", BACKOFF_BASE_SECONDS))
    return timedelta(seconds=min(BACKOFF_MAX_SECONDS, base * 2 ** max(0, attempts - 1)))


# --- hooks: a source keeps its own delivery column in step (a reply's badge, a survey's status) -----
_hooks: dict[str, Callable[[OutboxMessage], None]] = {}


def register(kind: str, on_change: Callable[[OutboxMessage], None]) -> None:
    """Call ``on_change(message)`` inside the transaction that changes a message of this kind."""
    _hooks[kind] = on_change


def _changed(message: OutboxMessage) -> None:
    hook = _hooks.get(message.kind)
    if hook is not None:
        hook(message)


# --- writing -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outgoing:
    """A message to write: the channel, the address and the whole rendered text."""

    kind: str
    channel: str
    to: str
    body: str
    subject: str = ""
    html: str = ""
    source: object = None  # a model instance: its delivery state is read from the outbox row
    send_after: datetime | None = None  # held until then (customers' quiet hours); None: at once
    idempotency_key: str = ""  # "": a fresh one; a webhook payload quotes its key as the event id


def new_key() -> str:
    """A fresh idempotency key: 32 hexadecimal characters, as a UUID's, of which the first 14 are the
    time in microseconds and the other 18 random. Keys made later sort later, so new messages go
    together into one narrow stretch of the keys' unique index (its end, but for a database that also
    holds the random keys made before) instead of each onto a random page: a sweep that writes 9,000
    messages writes a few dozen index pages, not thousands (issue 14)."""
    return f"{time.time_ns() // 1000:014x}{secrets.token_hex(9)}"


def outbox_add_many(messages: Iterable[Outgoing], *, now: datetime | None = None) -> list[OutboxMessage]:
    """Write the messages in the current transaction; queue one delivery task after it commits.

    Must be called inside the transaction that makes the cause true (the reply, the escalation):
    then the message exists exactly when its cause does, whatever happens to the broker afterwards.
    """
    now = now or timezone.now()
    rows = []
    for m in messages:
        source_type, source_id = "", None
        if m.source is not None:
            source_type, source_id = m.source._meta.label_lower, m.source.pk
        rows.append(build(
            OutboxMessage, kind=m.kind, channel=m.channel, to=m.to[:254], subject=m.subject[:200], body=m.body, html=m.html,
            source_type=source_type, source_id=source_id, idempotency_key=m.idempotency_key or new_key(),
            status=Status.PENDING, next_attempt_at=max(now, m.send_after) if m.send_after else now, created_at=now,
        ))
    if not rows:
        return []
    # No savepoint: nothing here is caught and retried; inside the cause's transaction (the usual
    # caller) a savepoint would only add two statements per message written.
    with transaction.atomic(savepoint=False):
        created = insert_many(rows)
        # A held message is left to the sweep, which finds it through outbox_due_idx when it is due.
        ids = [row.pk for row in created if row.pk and row.next_attempt_at <= now]
        if ids:
            from .tasks import outbox_deliver_task

            enqueue_on_commit(outbox_deliver_task, ids)
    return created


def outbox_add(*, kind: str, channel: str, to: str, body: str, subject: str = "", html: str = "", source=None,
               now: datetime | None = None) -> OutboxMessage:
    return outbox_add_many([Outgoing(kind=kind, channel=channel, to=to, body=body, subject=subject, html=html,
                                     source=source)], now=now)[0]


def outbox_retry(*, message_id: int, actor, now: datetime | None = None) -> bool:
    """A manager's "retry" on an undeliverable message: back to the queue with a fresh set of attempts."""
    now = now or timezone.now()
    with transaction.atomic():
        updated = OutboxMessage.objects.filter(pk=message_id, status=Status.FAILED).update(
            status=Status.PENDING, attempts=0, next_attempt_at=now, claim_token="")
        if updated:
            message = OutboxMessage.objects.get(pk=message_id)
            logger.info("Outbox message %s queued again by %s", message_id, actor)
            _changed(message)
            from .tasks import outbox_deliver_task

            enqueue_on_commit(outbox_deliver_task, [message_id])
    return bool(updated)


# --- delivering ----------------------------------------------------------------------------------
def _claim(*, message_ids: list[int] | None, batch: int, now: datetime) -> tuple[str, list[OutboxMessage]]:
    token = uuid.uuid4().hex
    with transaction.atomic():
        due = OutboxMessage.objects.filter(status__in=DUE_STATUSES, next_attempt_at__lte=now)
        if message_ids is not None:
            due = due.filter(pk__in=message_ids)
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        ids = list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:batch])
        if not ids:
            return token, []
        # Compare-and-set: still due (SQLite has no row locks; this is what makes it safe there).
        OutboxMessage.objects.filter(pk__in=ids, status__in=DUE_STATUSES, next_attempt_at__lte=now).update(
            status=Status.SENDING, claim_token=token, next_attempt_at=now + lease(), attempts=F("attempts") + 1)
        claimed = list(OutboxMessage.objects.filter(pk__in=ids, claim_token=token).order_by("next_attempt_at", "pk"))
    return token, claimed


def _send(message: OutboxMessage) -> None:
    if message.channel == OutboxMessage.Channel.EMAIL:
        from django.core.mail import EmailMultiAlternatives

        email = EmailMultiAlternatives(
            message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.to],
            headers={"Message-ID": f"<{message.idempotency_key}@servicedesk.outbox>",
                     "X-Idempotency-Key": message.idempotency_key},
        )
        if message.html:
            email.attach_alternative(message.html, "text/html")
        email.send(fail_silently=False)
    elif message.channel == OutboxMessage.Channel.SMS:
        from followups.delivery import get_sms_backend

        get_sms_backend().send(message.to, message.body, subject=message.subject,
                               idempotency_key=message.idempotency_key)
    elif message.channel == OutboxMessage.Channel.WEBHOOK:
        from webhooks.delivery import webhook_send

        webhook_send(message)  # signed POST; 4xx other than 408/429 → PermanentDeliveryError
    else:
        raise ValueError(f"Unknown channel {message.channel!r}")


def _is_permanent(exc: Exception) -> bool:
    from followups.delivery import PermanentDeliveryError

    return isinstance(exc, PermanentDeliveryError)


def _mark(message: OutboxMessage, *, token: str, error: str | None, now: datetime, permanent: bool = False) -> bool:
    claimed = OutboxMessage.objects.filter(pk=message.pk, claim_token=token, status=Status.SENDING)
    with transaction.atomic():
        if error is None:
            fields = {"status": Status.SENT, "sent_at": now, "next_attempt_at": None, "last_error": ""}
        elif permanent or message.attempts >= max_attempts():
            fields = {"status": Status.FAILED, "next_attempt_at": None, "last_error": error[:500]}
        else:
            fields = {"status": Status.PENDING, "next_attempt_at": now + backoff(message.attempts),
                      "last_error": error[:500]}
        if not claimed.update(**fields):
            # Our lease ran out and another worker claimed it: that worker marks it.
            logger.warning("Outbox message %s: lease lost before marking", message.pk)
            return False
        for name, value in fields.items():
            setattr(message, name, value)
        _changed(message)
    return True


def outbox_deliver(*, message_ids: list[int] | None = None, batch: int = SWEEP_BATCH,
                   now: datetime | None = None) -> dict:
    """Claim due messages (the given ids, or any due), send each, mark each. Returns counts.

    The fast path and the sweep both call this; see the module docstring for the guarantees.
    """
    pinned = now is not None  # tests pin time; otherwise each mark is stamped when it happens
    now = now or timezone.now()
    token, claimed = _claim(message_ids=message_ids, batch=batch, now=now)
    counts = {"claimed": len(claimed), "sent": 0, "failed": 0, "gave_up": 0}
    for message in claimed:
        try:
            _send(message)
        except Exception as exc:  # noqa: BLE001 — SMTP refused, gateway down, bad address: recorded, retried
            logger.warning("Outbox message %s (%s) attempt %s failed: %s", message.pk, message.kind,
                           message.attempts, exc)
            _mark(message, token=token, error=f"{type(exc).__name__}: {exc}",
                  now=now if pinned else timezone.now(), permanent=_is_permanent(exc))
            counts["gave_up" if message.status == Status.FAILED else "failed"] += 1
        else:
            if _mark(message, token=token, error=None, now=now if pinned else timezone.now()):
                counts["sent"] += 1
    return counts


def outbox_sweep(*, now: datetime | None = None, batch: int = SWEEP_BATCH, budget_seconds: float = 50) -> dict:
    """The safety net: deliver due messages in bounded batches until none is due or the budget is spent."""
    import time

    start = time.monotonic()
    total = {"claimed": 0, "sent": 0, "failed": 0, "gave_up": 0}
    while True:
        counts = outbox_deliver(batch=batch, now=now)
        for key, value in counts.items():
            total[key] += value
        if counts["claimed"] < batch or time.monotonic() - start > budget_seconds:
            return total
