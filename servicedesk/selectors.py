"""Reads shared by every area: the bell, the outbox and the periodic jobs (what /healthz and the manager see)."""
from datetime import datetime

from django.db.models import Count, Max, QuerySet

from .models import Notification, OutboxMessage, PeriodicJob
from .preferences import BELL_CHANNELS


def bell_unread(user):
    """The person's unread bell entries (digest and e-mail-only rows never show under the bell)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True, channel__in=BELL_CHANNELS)


def _bell_count(user_id):
    # COUNT(DISTINCT "group") of the person's unread bell entries; `group` is never NULL ("" is a group).
    return (bell_unread(user_id).order_by().values("recipient")
            .annotate(n=Count("group", distinct=True)).values_list("n"))


def bell_unread_count(user) -> int:
    """Lines in the bell: unread entries grouped per ticket (or other thing), one query. In every page's
    bar: its SQL is compiled once per process (servicedesk.compiled)."""
    from .compiled import compiled_rows

    rows = compiled_rows("servicedesk.bell_count", Notification, _bell_count, value=user.pk)
    return rows[0][0] if rows else 0


def bell_groups(user, *, limit: int = 8) -> list[tuple[Notification, int]]:
    """Newest first, one line per group: its latest unread entry and how many unread it holds. Two queries."""
    rows = list(
        bell_unread(user).order_by().values("group")
        .annotate(n=Count("id"), last_at=Max("created_at"), last_id=Max("id"))
        .order_by("-last_at", "-last_id")[:limit]
    )
    latest = Notification.objects.in_bulk([r["last_id"] for r in rows])
    return [(latest[r["last_id"]], r["n"]) for r in rows if r["last_id"] in latest]


def outbox_oldest_undelivered() -> datetime | None:
    """When the oldest message still owed (queued or being sent) was written; None if nothing is owed.

    One probe of the partial index outbox_undelivered_idx.
    """
    return (OutboxMessage.objects.filter(status__in=[OutboxMessage.Status.PENDING, OutboxMessage.Status.SENDING])
            .order_by("created_at").values_list("created_at", flat=True).first())


def outbox_undeliverable() -> QuerySet[OutboxMessage]:
    """Messages the outbox gave up on (after OUTBOX_MAX_ATTEMPTS), newest first: the manager's list."""
    return OutboxMessage.objects.filter(status=OutboxMessage.Status.FAILED).order_by("-created_at", "-id")


def periodic_jobs() -> dict[str, PeriodicJob]:
    return {job.name: job for job in PeriodicJob.objects.all()}
