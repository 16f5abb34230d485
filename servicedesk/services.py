"""Writes shared by every area: in-app notifications (the bell) with optional email."""
from collections.abc import Iterable

from django.db import transaction

from .models import Notification
from .queue import enqueue_on_commit


def notify_many(items: Iterable[tuple], *, email: bool = False) -> list[Notification]:
    """Bell entries for many (recipient, message, url) at once: one INSERT, emails queued after commit.

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
            from .tasks import notification_email_send

            for notification, (recipient, _message, _url) in zip(created, items):
                if recipient.email and notification.pk:
                    enqueue_on_commit(notification_email_send, notification.pk)
    return created


def notify(*, recipient, message: str, url: str = "", email: bool = False) -> Notification:
    """Put a message under the recipient's bell; with email=True also mail it (Celery, after commit)."""
    return notify_many([(recipient, message, url)], email=email)[0]
