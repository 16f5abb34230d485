"""The daily digest (issue 11 item 4): one e-mail a day to each person with the notifications they
chose to receive that way, written in their language. Exactly once per person per day: a
NotificationDigest row unique on (user, day) is inserted in the same transaction that marks the
notifications as digested and writes the e-mail as an outbox row (servicedesk/outbox.py), which
delivers it after commit, retries a failed send and shows it to a manager if it never goes.
"""
from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import ngettext

from .models import Notification, NotificationChannel, NotificationDigest
from .preferences import user_languages

DIGEST_EMAIL = "notification.digest"
LIMIT = 200  # entries listed in one e-mail; the rest are counted and linked, never cut silently


def notification_digests_send(*, now: datetime | None = None) -> int:
    """Send today's digest to everyone with waiting digest notifications. Returns how many were sent."""
    from django.contrib.auth import get_user_model

    now = now or timezone.now()
    day = timezone.localdate(now)
    waiting = Notification.objects.filter(channel=NotificationChannel.DIGEST, digested_at__isnull=True,
                                          created_at__lte=now)
    user_ids = list(waiting.order_by().values_list("recipient_id", flat=True).distinct())
    if not user_ids:
        return 0
    languages = user_languages(user_ids)
    sent = 0
    for user in get_user_model().objects.filter(pk__in=user_ids, is_active=True).order_by("pk"):
        try:
            with transaction.atomic():
                mine = list(waiting.filter(recipient=user).select_for_update().order_by("created_at", "pk"))
                if not mine:
                    continue
                NotificationDigest.objects.create(user=user, day=day, count=len(mine), sent_at=now)
                Notification.objects.filter(pk__in=[n.pk for n in mine]).update(digested_at=now)
                if user.email:
                    _send(user=user, notes=mine, language=languages[user.pk], day=day)
        except IntegrityError:
            continue  # today's digest went already; the rest waits for tomorrow's
        sent += 1
    return sent


def _send(*, user, notes, language, day) -> None:
    site = getattr(settings, "SITE_URL", "").rstrip("/")
    with translation.override(language):
        subject = ngettext("Your daily digest: %(count)d notification", "Your daily digest: %(count)d notifications",
                           len(notes)) % {"count": len(notes)}
        body = render_to_string("servicedesk/email/digest.txt", {
            "user": user, "notes": notes[:LIMIT], "more": max(0, len(notes) - LIMIT), "day": day, "site": site,
        })
    from .outbox import outbox_add

    outbox_add(kind=DIGEST_EMAIL, channel="email", to=user.email, subject=subject, body=body)
