"""The daily digest (issue 11 item 4): one e-mail a day to each person with the notifications they
chose to receive that way, written in their language. Exactly once per person per day: a
NotificationDigest row unique on (user, day) is inserted in the same transaction that marks the
notifications as digested and writes the e-mail as an outbox row (servicedesk/outbox.py), which
delivers it after commit, retries a failed send and shows it to a manager if it never goes.
"""
from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import ngettext

from .models import Notification, NotificationChannel, NotificationDigest
from .once import insert_new
from .preferences import user_languages

DIGEST_EMAIL = "notification.digest"
LIMIT = 200  # entries listed in one e-mail; the rest are counted and linked, never cut silently


def notification_digests_send(*, now: datetime | None = None) -> int:
    """Send today's digest to everyone with waiting digest notifications. Returns how many were sent.

    Set-based (style.md §16): the waiting notifications are locked and read once, the digest rows
    inserted in one statement, the notifications marked in one UPDATE and the e-mails written as one
    batch of outbox rows, whatever the number of people.
    """
    from collections import defaultdict

    from .outbox import outbox_add_many

    now = now or timezone.now()
    day = timezone.localdate(now)
    with transaction.atomic():
        waiting = list(
            Notification.objects.filter(channel=NotificationChannel.DIGEST, digested_at__isnull=True,
                                        created_at__lte=now, recipient__is_active=True)
            .select_for_update(of=("self",)).select_related("recipient").order_by("recipient_id", "created_at", "pk")
        )
        if not waiting:
            return 0
        by_user: dict[int, list] = defaultdict(list)
        for note in waiting:
            by_user[note.recipient_id].append(note)
        already = set(NotificationDigest.objects.filter(user_id__in=by_user, day=day).values_list("user_id", flat=True))
        # Today's digest went already for `already`: the rest waits for tomorrow's.
        digests = insert_new(NotificationDigest, [NotificationDigest(user_id=uid, day=day, count=len(notes), sent_at=now)
                               for uid, notes in by_user.items() if uid not in already])
        sent = [by_user[d.user_id] for d in digests]
        Notification.objects.filter(pk__in=[n.pk for notes in sent for n in notes]).update(digested_at=now)
        languages = user_languages(d.user_id for d in digests)
        outbox_add_many(_outgoing(user=notes[0].recipient, notes=notes, language=languages[notes[0].recipient_id],
                                  day=day) for notes in sent if notes[0].recipient.email)
    return len(digests)


def _outgoing(*, user, notes, language, day):
    from .outbox import Outgoing

    site = getattr(settings, "SITE_URL", "").rstrip("/")
    with translation.override(language):
        subject = ngettext("Your daily digest: %(count)d notification", "Your daily digest: %(count)d notifications",
                           len(notes)) % {"count": len(notes)}
        body = render_to_string("servicedesk/email/digest.txt", {
            "user": user, "notes": notes[:LIMIT], "more": max(0, len(notes) - LIMIT), "day": day, "site": site,
        })
    return Outgoing(kind=DIGEST_EMAIL, channel="email", to=user.email, subject=subject, body=body)
