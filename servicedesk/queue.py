"""Enqueue Celery tasks after the surrounding transaction commits, without ever failing or slowing the caller.

Intake must keep working when Redis or the worker is down (README, "Failure modes"): a task that
cannot be published is dropped, because everything it would do is also found again by a periodic
sweep (the outbox sweep for messages, the SLA/dispatch/callback sweeps over indexed deadline
columns). Nothing is lost, it only happens later.

Never blocking: publishing does not retry (``retry=False`` here, ``max_retries: 0`` and a short
connect timeout in CELERY_BROKER_TRANSPORT_OPTIONS), and after one failure this process stops trying
for BROKER_RETRY_AFTER seconds (a circuit breaker), so a request or a sweep that would queue 100
tasks pays for at most one failed connection attempt. The failure is logged once per interval, with
the number of tasks not queued meanwhile — not once per task.
"""
import logging
import threading
import time

from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

_lock = threading.Lock()
# Per process: when publishing may be tried again, and what was skipped while the breaker was open.
_state = {"open_until": 0.0, "skipped": 0, "last_error": ""}
# Counters for tests, the bench and `manage.py doctor` (seconds spent publishing, by outcome).
stats = {"published": 0, "failed": 0, "skipped": 0, "seconds": 0.0}


def retry_after() -> float:
    return float(getattr(settings, "BROKER_RETRY_AFTER", 10))


def broker_unavailable() -> bool:
    """True while this process has seen the broker fail within the last BROKER_RETRY_AFTER seconds."""
    return time.monotonic() < _state["open_until"]


def reset() -> None:
    """Close the breaker (tests; or after repointing the broker)."""
    with _lock:
        _state.update(open_until=0.0, skipped=0, last_error="")


def _publish(task, args, kwargs) -> bool:
    now = time.monotonic()
    if now < _state["open_until"]:
        with _lock:
            _state["skipped"] += 1
        stats["skipped"] += 1
        return False
    start = time.perf_counter()
    try:
        task.apply_async(args=args, kwargs=kwargs, retry=False)
    except Exception as exc:  # broker down, DNS, anything: the sweeps are the safety net
        stats["seconds"] += time.perf_counter() - start
        stats["failed"] += 1
        with _lock:
            skipped, _state["skipped"] = _state["skipped"], 0
            _state["open_until"] = time.monotonic() + retry_after()
            _state["last_error"] = f"{type(exc).__name__}: {exc}"
        logger.warning(
            "Broker unreachable (%s): %s not queued%s; not trying again for %.0f s, the periodic sweeps deliver "
            "the work meanwhile", _state["last_error"], task.name,
            f" (and {skipped} tasks skipped since the last try)" if skipped else "", retry_after())
        return False
    stats["seconds"] += time.perf_counter() - start
    stats["published"] += 1
    if _state["skipped"]:
        with _lock:
            skipped, _state["skipped"] = _state["skipped"], 0
        logger.info("Broker reachable again; %s tasks were not queued while it was down (the sweeps did them)",
                    skipped)
    return True


def enqueue_on_commit(task, *args, **kwargs) -> None:
    transaction.on_commit(lambda: _publish(task, args, kwargs))
