"""Writes shared by every area: in-app notifications (the bell) with optional email."""
from django.db import transaction

from .models import Notification
from .queue import enqueue_on_commit


def notify(*, recipient, message: str, url: str = "", email: bool = False) -> Notification:
    """Put a message under the recipient's bell; with email=True also mail it (Celery, after commit)."""
    with transaction.atomic():
        notification = Notification.objects.create(recipient=recipient, message=message[:300], url=url[:300])
        if email and recipient.email:
            from .tasks import notification_email_send

            enqueue_on_commit(notification_email_send, notification.pk)
    return notification
