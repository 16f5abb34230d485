"""Reads shared by every area: the bell."""
from django.db.models import Count, Max

from .models import Notification
from .preferences import BELL_CHANNELS


def bell_unread(user):
    """The person's unread bell entries (digest and e-mail-only rows never show under the bell)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True, channel__in=BELL_CHANNELS)


def bell_unread_count(user) -> int:
    """Lines in the bell: unread entries grouped per ticket (or other thing), one query."""
    return bell_unread(user).values("group").distinct().count()


def bell_groups(user, *, limit: int = 8) -> list[tuple[Notification, int]]:
    """Newest first, one line per group: its latest unread entry and how many unread it holds. Two queries."""
    rows = list(
        bell_unread(user).order_by().values("group")
        .annotate(n=Count("id"), last_at=Max("created_at"), last_id=Max("id"))
        .order_by("-last_at", "-last_id")[:limit]
    )
    latest = Notification.objects.in_bulk([r["last_id"] for r in rows])
    return [(latest[r["last_id"]], r["n"]) for r in rows if r["last_id"] in latest]
