"""Writes shared by every area: in-app notifications (the bell) with optional email."""
from collections.abc import Iterable

from django.db import transaction

from . import preferences
from .models import Notification
from .queue import enqueue_on_commit


def notify_many(items: Iterable, *, email: bool = False, kind: str = "", group: str = "") -> list[Notification]:
    """Bell entries for many notifications at once: one INSERT, emails queued after commit.

    Items are `preferences.Note`s or (recipient, message, url[, params]) tuples. Pass the message
    untranslated (gettext_lazy + params, or a `preferences.Message`): it is rendered in each
    recipient's language. `kind` picks the recipient's channel preference (bell / e-mail / both /
    daily digest); `group` gathers entries about one thing in the bell (default: the link).
    Sweeps that notify hundreds of people per batch use this; one statement instead of one per message.
    """
    items = list(items)
    if not items:
        return []
    # Issue 11 (items 4, 6): language, channel and group per recipient — servicedesk/preferences.py.
    rows = preferences.notification_rows(items, email=email, kind=kind, group=group)
    with transaction.atomic():
        created = Notification.objects.bulk_create(rows)
        if email:
            from .tasks import notification_email_send

            for notification in created:
                # Issue 11: only for people who chose e-mail (or both) for this kind.
                if notification.recipient.email and notification.pk and preferences.wants_email_now(notification):
                    enqueue_on_commit(notification_email_send, notification.pk)
    return created


def notify(*, recipient, message, url: str = "", email: bool = False, params: dict | None = None, kind: str = "",
           group: str = "") -> Notification:
    """Put a message under the recipient's bell; with email=True also mail it (Celery, after commit).

    `message` is gettext_lazy text (with `params`) or a `preferences.Message`: written in the
    recipient's language, whoever triggered it."""
    note = preferences.Note(recipient=recipient, message=message, url=url, kind=kind, group=group, params=params)
    return notify_many([note], email=email)[0]
