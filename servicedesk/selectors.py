"""Reads shared by every area: the outbox and the periodic jobs (what /healthz and the manager see)."""
from datetime import datetime

from django.db.models import QuerySet

from .models import OutboxMessage, PeriodicJob


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
