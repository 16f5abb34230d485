"""Writes shared by every area: in-app notifications (the bell) with optional email."""
from collections.abc import Iterable

from django.db import transaction

from . import preferences
from .bulk import insert_many
from .models import Notification, OutboxMessage


def notify_many(items: Iterable, *, email: bool = False, kind: str = "", group: str = "") -> list[Notification]:
    """Bell entries for many notifications at once: one INSERT, and one outbox row per e-mail in the
    same transaction (delivered after commit; never lost if queuing fails).

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
        created = insert_many(rows)
        if email:
            from .outbox import Outgoing, outbox_add_many

            outbox_add_many(
                Outgoing(kind=NOTIFICATION_EMAIL, channel=OutboxMessage.Channel.EMAIL, to=notification.recipient.email,
                         subject=notification.message[:78], body=_email_text(notification), source=notification)
                for notification in created
                # Issue 11: only for people who chose e-mail (or both) for this kind.
                if notification.recipient.email and notification.pk and preferences.wants_email_now(notification)
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


def notify(*, recipient, message, url: str = "", email: bool = False, params: dict | None = None, kind: str = "",
           group: str = "") -> Notification:
    """Put a message under the recipient's bell; with email=True also mail it (an outbox row, sent after commit).

    `message` is gettext_lazy text (with `params`) or a `preferences.Message`: written in the
    recipient's language, whoever triggered it."""
    note = preferences.Note(recipient=recipient, message=message, url=url, kind=kind, group=group, params=params)
    return notify_many([note], email=email)[0]


def system_user(*, username: str, display_name: str):
    """The inactive account an automatic channel records its writes under ("portal", "mail"): the
    timeline names it, and it can never sign in (no usable password, not active)."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        user, _created = User.objects.get_or_create(
            username=username, defaults={"first_name": display_name, "is_active": False})
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
