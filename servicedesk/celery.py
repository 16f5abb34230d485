"""The Celery app and every periodic schedule, in one place (style.md §6).

Each entry says why it runs at that interval. Sweeps are idempotent: if beat was down they catch up
on the next tick, and running one twice changes nothing the second time.
"""
import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings")

app = Celery("servicedesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

MINUTE = 60.0
HOUR = 60 * MINUTE

app.conf.beat_schedule = {
    # SLA clocks: warnings at 75 %, breach and level-2 escalations. Every minute, because targets
    # are counted in hours and a breach should reach the supervisor within a minute of the deadline;
    # the sweep reads only due rows through a partial index, so an idle tick costs one index probe.
    "sla-sweep": {"task": "sla.tasks.sla_sweep", "schedule": MINUTE, "options": {"expires": MINUTE}},
    # Entries are added by each area (SLA sweep, offer timeouts, callback reminders, reports);
    # `expires` equal to the interval stops a backlog of identical sweeps piling up while the
    # worker is down: the next tick does the same work anyway.
    # Dispatch offer timeouts: every minute, because an offer lives 30 minutes (a setting) and the
    # next technician should get the job within a minute of the timeout; claims due rows only
    # (partial index on pending offers' expires_at), SKIP LOCKED, compare-and-set → exactly once.
    "dispatch-offers-expire": {"task": "dispatch.offers_expire_due", "schedule": MINUTE, "options": {"expires": MINUTE}},
    # Dispatch escalations (not started by the window, not done by the resolution deadline): every
    # minute, like the SLA sweep; a (work order, reason, level) unique row makes each one exactly once.
    "dispatch-escalations": {
        "task": "dispatch.escalations_check_due", "schedule": MINUTE, "options": {"expires": MINUTE},
    },
    # Ticket reply emails: every 2 minutes. A reply is emailed at once after commit; this sweep only
    # re-sends the ones whose send failed (backoff 2, 4, 8… min) or was never queued because the
    # broker was down, so 2 minutes matches the shortest backoff. Claims are compare-and-set.
    "tickets-reply-delivery": {
        "task": "tickets.tasks.reply_delivery_sweep", "schedule": 2 * MINUTE, "options": {"expires": 2 * MINUTE},
    },
    # Knowledge review reminders: weekly (Monday 09:00 local) is the review rhythm owners asked for;
    # a (article, week) unique row keeps it exactly once even if beat fires twice or catches up late.
    "knowledge-review-reminders": {
        "task": "knowledge.tasks.review_reminders_send",
        "schedule": crontab(minute=0, hour=9, day_of_week="mon"),
        "options": {"expires": 24 * HOUR},
    },
    # Report emails: hourly. A daily report must arrive early in the morning, and each run only
    # inserts one (subscription, period) row per subscriber — the unique row makes it exactly once
    # and, after downtime, the next tick sends the latest missed period (no flood of old ones).
    "reports-deliveries": {
        "task": "reports.tasks.report_deliveries_send",
        "schedule": HOUR,
        "options": {"expires": HOUR},
    },
}
