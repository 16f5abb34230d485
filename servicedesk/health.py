"""What /healthz and `manage.py doctor` report (README, "Health"): cheap checks, no secrets.

Each check is {"ok": bool, ...figures}; the whole is "fail" (HTTP 503) if any check a load balancer
or a monitor should act on fails. Thresholds (settings, environment variables):

* database, cache, broker: reachable (one round trip each; the broker with a 0.5 s connect timeout);
* sweeps: the last run of each every-minute sweep (``sla-sweep``, ``outbox-sweep``) is at most
  HEALTH_SWEEP_MAX_AGE seconds old (default 300: five missed ticks means beat or the workers are
  down); the other periodic jobs are listed with their age, for information;
* outbox: the oldest undelivered message is at most HEALTH_OUTBOX_MAX_AGE seconds old (default 900:
  the first four back-offs add up to 15 minutes); undeliverable messages are counted, for information;
* SLA: no clock is due for more than HEALTH_SLA_GRACE seconds (default 120) without being swept.
"""
import time

from django.conf import settings
from django.utils import timezone

CRITICAL_SWEEPS = ("sla-sweep", "outbox-sweep")


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def _timed(fn) -> dict:
    started = time.perf_counter()
    try:
        result = fn()
    except Exception as exc:  # noqa: BLE001 — any failure is the answer; the class name only (no secrets)
        result = {"ok": False, "error": type(exc).__name__}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def check_database() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def check_cache() -> dict:
    import uuid

    from django.core.cache import cache

    value = uuid.uuid4().hex
    cache.set("healthz:probe", value, 10)
    return {"ok": cache.get("healthz:probe") == value}


def check_broker() -> dict:
    from .celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, interval_max=0, timeout=1)
    return {"ok": True}


def check_sweeps(now) -> dict:
    from .celery import app
    from .selectors import periodic_jobs

    jobs = periodic_jobs()
    limit = _setting("HEALTH_SWEEP_MAX_AGE", 300)
    out, ok = {}, True
    for name in app.conf.beat_schedule:
        job = jobs.get(name)
        last = job.last_started_at if job else None
        age = round((now - last).total_seconds()) if last else None
        entry = {"last_run_age_s": age}
        if name in CRITICAL_SWEEPS:
            entry["ok"] = age is not None and age <= limit
            ok = ok and entry["ok"]
        out[name] = entry
    return {"ok": ok, "max_age_s": limit, "jobs": out}


def check_outbox(now) -> dict:
    from .selectors import outbox_oldest_undelivered, outbox_undeliverable

    oldest = outbox_oldest_undelivered()
    age = round((now - oldest).total_seconds()) if oldest else None
    limit = _setting("HEALTH_OUTBOX_MAX_AGE", 900)
    return {"ok": age is None or age <= limit, "oldest_undelivered_age_s": age, "max_age_s": limit,
            "undeliverable": outbox_undeliverable().count()}


def check_sla(now) -> dict:
    from sla.selectors import clocks_due_unswept

    grace = _setting("HEALTH_SLA_GRACE", 120)
    due = clocks_due_unswept(now=now, grace_seconds=grace)
    return {"ok": due == 0, "due_unswept": due, "grace_s": grace}


def health(*, now=None) -> dict:
    now = now or timezone.now()
    checks = {"database": _timed(check_database), "cache": _timed(check_cache), "broker": _timed(check_broker)}
    if checks["database"]["ok"]:
        checks["sweeps"] = _timed(lambda: check_sweeps(now))
        checks["outbox"] = _timed(lambda: check_outbox(now))
        checks["sla"] = _timed(lambda: check_sla(now))
    ok = all(check["ok"] for check in checks.values())
    return {"status": "ok" if ok else "fail", "at": now.isoformat(), "checks": checks}
