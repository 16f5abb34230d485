"""Enqueue Celery tasks after the surrounding transaction commits, without ever failing the caller.

Intake must keep working when Redis or the worker is down (README, "Failure modes"): a task that
cannot be published is logged and dropped, because every timed effect is also found again by a
periodic sweep over an indexed deadline column. Nothing is lost, it only happens later.
"""
import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def _publish(task, args, kwargs) -> None:
    try:
        task.apply_async(args=args, kwargs=kwargs, retry=False)
    except Exception:  # broker down, DNS, anything: the sweep is the safety net
        logger.warning("Could not enqueue %s%r; the periodic sweep will pick it up", task.name, args, exc_info=True)


def enqueue_on_commit(task, *args, **kwargs) -> None:
    transaction.on_commit(lambda: _publish(task, args, kwargs))
