"""Writes shared by every area: in-app notifications (the bell) with optional email."""
from collections.abc import Iterable

from django.db import transaction

from .models import Notification, OutboxMessage


def notify_many(items: Iterable[tuple], *, email: bool = False) -> list[Notification]:
    """Bell entries for many (recipient, message, url) at once: one INSERT, and with email=True one
    outbox row per e-mail in the same transaction (delivered after commit; never lost if queuing fails).

    Sweeps that notify hundreds of people per batch use this; one statement instead of one per message.
    """
    items = list(items)
    if not items:
        return []
    with transaction.atomic():
        created = Notification.objects.bulk_create(
            Notification(recipient=recipient, message=message[:300], url=url[:300]) for recipient, message, url in items
        )
        if email:
            from .outbox import Outgoing, outbox_add_many

            outbox_add_many(
                Outgoing(kind=NOTIFICATION_EMAIL, channel=OutboxMessage.Channel.EMAIL, to=recipient.email,
                         subject=notification.message[:78], body=_email_text(notification), source=notification)
                for notification, (recipient, _message, _url) in zip(created, items)
                if recipient.email and notification.pk
            )
    return created


NOTIFICATION_EMAIL = "notification.email"


def _email_text(notification: Notification) -> str:
    from django.conf import settings

    url = notification.url
    if url.startswith("/"):
        url = getattr(settings, "SITE_URL", "").rstrip("/") + url
    return f"{notification.message}\n\n{url}"


def notification_email_marked(message: OutboxMessage) -> None:
    """Outbox hook: the bell entry records when its e-mail went out."""
    if message.status == OutboxMessage.Status.SENT and message.source_id:
        Notification.objects.filter(pk=message.source_id, emailed_at__isnull=True).update(emailed_at=message.sent_at)


def notify(*, recipient, message: str, url: str = "", email: bool = False) -> Notification:
    """Put a message under the recipient's bell; with email=True also mail it (Celery, after commit)."""
    return notify_many([(recipient, message, url)], email=email)[0]
