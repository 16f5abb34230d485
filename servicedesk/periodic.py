"""One run per scheduled slot for every periodic job, however many beats are running (issue 12 §3).

Beat is not highly available by itself: two beat processes (a common accident, or on purpose for
availability) each send every schedule entry. Every entry therefore goes through one task,
``servicedesk.tasks.periodic_job_run(job)``, which first claims the job's current *slot* with a
compare-and-set on its ``PeriodicJob`` row — ``UPDATE … SET last_slot = :slot WHERE name = :job AND
(last_slot IS NULL OR last_slot < :slot)`` — and runs the job only if that changed one row. The slot
is the scheduled moment rounded down to the job's interval (one minute for crontab entries), so two
beats ticking in the same interval run the job once; the second records a skip. The row's times are
also what /healthz reports as the job's last run (beat alive).
"""
import logging
import math
from datetime import datetime, timezone as dt_timezone

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import PeriodicJob

logger = logging.getLogger(__name__)


def slot_of(*, now: datetime, every_seconds: float) -> datetime:
    """The start of the interval ``now`` falls in (intervals counted from the Unix epoch)."""
    every = max(1.0, float(every_seconds))
    start = math.floor(now.timestamp() / every) * every
    return datetime.fromtimestamp(start, tz=dt_timezone.utc)


def periodic_job_claim(*, name: str, every_seconds: float, now: datetime | None = None) -> bool:
    """True if this caller owns the job's current slot (and should run it); False for a duplicate."""
    now = now or timezone.now()
    slot = slot_of(now=now, every_seconds=every_seconds)
    if not PeriodicJob.objects.filter(name=name).exists():
        try:
            with transaction.atomic():
                PeriodicJob.objects.create(name=name)
        except IntegrityError:
            pass  # the other beat's run created it
    claimed = PeriodicJob.objects.filter(Q(last_slot__isnull=True) | Q(last_slot__lt=slot), name=name).update(
        last_slot=slot, last_started_at=now, runs=F("runs") + 1)
    if not claimed:
        PeriodicJob.objects.filter(name=name).update(skipped=F("skipped") + 1)
        logger.info("Periodic job %s: slot %s already run (another beat), skipped", name, slot.isoformat())
    return bool(claimed)


def periodic_job_finished(*, name: str, now: datetime | None = None) -> None:
    PeriodicJob.objects.filter(name=name).update(last_finished_at=now or timezone.now())
