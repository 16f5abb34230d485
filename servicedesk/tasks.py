"""Thin tasks for the outbox. Both are idempotent: delivery claims rows by compare-and-set, so a
task that runs twice (a redelivery after a worker was killed, a duplicate from a second beat) finds
nothing left to claim and sends nothing."""
from celery import shared_task


@shared_task(acks_late=True)
def outbox_deliver_task(message_ids: list[int]) -> dict:
    """Fast path: deliver the messages a transaction just wrote (queued on commit)."""
    from .outbox import outbox_deliver

    ids = list(message_ids)
    return outbox_deliver(message_ids=ids, batch=max(1, len(ids)))


@shared_task
def notification_digests_send_task():
    """The daily digest; idempotent (one per person per day: NotificationDigest's unique row)."""
    from .digests import notification_digests_send

    return notification_digests_send()


@shared_task(acks_late=True)
def outbox_sweep_task() -> dict:
    """Safety net: deliver every due message (never queued, failed and backed off, lease expired)."""
    from .outbox import outbox_sweep

    return outbox_sweep()


@shared_task(acks_late=True, ignore_result=True)
def periodic_job_run(job: str):
    """Beat's entry point for every schedule: run the entry's task once per slot (servicedesk/periodic.py).

    Idempotent by construction: a second beat's message for the same slot, or this message
    redelivered after a worker was killed, finds the slot taken and returns "skipped".
    """
    from .celery import PERIODIC_TASKS, app, periodic_interval
    from .periodic import periodic_job_claim, periodic_job_finished

    if not periodic_job_claim(name=job, every_seconds=periodic_interval(job)):
        return "skipped"
    result = app.tasks[PERIODIC_TASKS[job]]()
    periodic_job_finished(name=job)
    return result
