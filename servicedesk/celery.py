"""The Celery app and every periodic schedule, in one place (style.md §6).

Each entry says why it runs at that interval. Sweeps are idempotent: if beat was down they catch up
on the next tick, and running one twice changes nothing the second time.

Every entry is sent as ``servicedesk.tasks.periodic_job_run(<entry name>)``, which runs the entry's
task once per scheduled slot (servicedesk/periodic.py): two beats running at once do no duplicate work.
SERVICEDESK_BEAT_SCALE (tests only) multiplies every interval, to run hours of schedule in seconds.
"""
import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings")

app = Celery("servicedesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

MINUTE = 60.0 * float(os.environ.get("SERVICEDESK_BEAT_SCALE", "1"))
HOUR = 60 * MINUTE

app.conf.beat_schedule = {
    # `expires` equal to the interval stops a backlog of identical sweeps piling up while the
    # worker is down: the next tick does the same work anyway.
    # SLA clocks: warnings at 75 %, breach and level-2 escalations. Every minute, because targets
    # are counted in hours and a breach should reach the supervisor within a minute of the deadline;
    # the sweep reads only due rows through a partial index, so an idle tick costs one index probe.
    "sla-sweep": {"task": "sla.tasks.sla_sweep", "schedule": MINUTE, "options": {"expires": MINUTE}},
    # Dispatch offer timeouts: every minute, because an offer lives 30 minutes (a setting) and the
    # next technician should get the job within a minute of the timeout; claims due rows only
    # (partial index on pending offers' expires_at), SKIP LOCKED, compare-and-set → exactly once.
    "dispatch-offers-expire": {"task": "dispatch.offers_expire_due", "schedule": MINUTE, "options": {"expires": MINUTE}},
    # Dispatch escalations (not started by the window, not done by the resolution deadline): every
    # minute, like the SLA sweep; a (work order, reason, level) unique row makes each one exactly once.
    "dispatch-escalations": {
        "task": "dispatch.escalations_check_due", "schedule": MINUTE, "options": {"expires": MINUTE},
    },
    # The outbox (every e-mail and SMS that leaves the database): every minute. Each message is
    # normally sent within seconds by the task queued on commit; this sweep is the safety net for a
    # message whose task was never queued (broker down), died with its worker (lease expired) or
    # failed and backed off (1, 2, 4 … 60 min). The shortest back-off is a minute, hence the interval;
    # an idle tick is one probe of the partial index outbox_due_idx.
    "outbox-sweep": {"task": "servicedesk.tasks.outbox_sweep_task", "schedule": MINUTE, "options": {"expires": MINUTE}},
    # Bulk changes to tickets (issue 19): every minute. A large one runs in the task queued when it was
    # asked for; this finishes one whose task was never queued (broker down) or died with its worker,
    # from its cursor. An idle tick is one probe of the partial index on unfinished rows.
    "tickets-bulk-resume": {"task": "tickets.bulk_actions_resume", "schedule": MINUTE, "options": {"expires": MINUTE}},
    # The monthly report's ticket-flow rollup (issue 14): on PostgreSQL the database appends a row for every change of
    # a ticket's counted columns (SQLite adds to the row of its hour and group); nightly at 03:20 rows whose counts are
    # back to 0 are dropped and the days holding several rows of one hour and group are folded into one row each
    # (tickets.services.flow_rollup_compact), in day-sized transactions. Finding those days reads the whole
    # rollup once (a grouped scan, one row per hour and group once folded); a night that runs out of its 45 s
    # leaves the rest to the next.
    "tickets-flow-compact": {
        "task": "tickets.flow_compact", "schedule": crontab(minute=20, hour=3), "options": {"expires": 24 * HOUR},
    },
    # E-mail intake (mailin): every minute, so a customer's mail becomes a ticket within about a minute
    # (the first-response clock starts at the ticket). Each mailbox is claimed with a lease, so a slow
    # poll that overlaps the next tick is skipped, not run twice; the Message-ID keeps it exactly once.
    "mailin-poll": {"task": "mailin.tasks.mailboxes_poll_task", "schedule": MINUTE, "options": {"expires": MINUTE}},
    # Knowledge review reminders: weekly (Monday 09:00 local) is the review rhythm owners asked for;
    # a (article, week) unique row keeps it exactly once even if beat fires twice or catches up late.
    "knowledge-review-reminders": {
        "task": "knowledge.tasks.review_reminders_send",
        "schedule": crontab(minute=0, hour=9, day_of_week="mon"),
        "options": {"expires": 24 * HOUR},
    },
    # Callback reminders: every 5 minutes. A callback is due at a time of day agents plan around,
    # so a reminder within 5 minutes is on time; the sweep reads due rows through the partial index
    # on next_reminder_at, and a (callback, due_at) unique row makes each reminder exactly once.
    "followups-callback-reminders": {
        "task": "followups.tasks.callback_reminders_sweep_task", "schedule": 5 * MINUTE,
        "options": {"expires": 5 * MINUTE},
    },
    # Morning digest of the day's callbacks: 08:30 local, before the office opens at 09:00; an
    # (owner, day) unique row keeps it to one a day even if beat fires twice or catches up late.
    "followups-callback-digest": {
        "task": "followups.tasks.callback_digests_task", "schedule": crontab(minute=30, hour=8),
        "options": {"expires": 6 * HOUR},
    },
    # Key-account callbacks: daily at 07:00. The callback is monthly, but running daily means a
    # missed first-of-month (beat down) is caught the next day; the (customer, month) unique
    # constraint makes it once per customer per month.
    "followups-key-account-callbacks": {
        "task": "followups.tasks.key_account_callbacks_task", "schedule": crontab(minute=0, hour=7),
        "options": {"expires": 24 * HOUR},
    },
    # Quality inspection's daily sample of yesterday's work: 06:30 local, so inspectors find it when the
    # office opens; hourly after that until 10:30 in case beat was down. The unique day makes it once a day.
    "quality-daily-sample": {
        "task": "quality.tasks.sample_create_daily_task", "schedule": crontab(minute=30, hour="6-10"),
        "options": {"expires": HOUR},
    },
    # Daily digest of the notifications people chose to read once a day: 08:00 local, before the office
    # opens at 09:00, so yesterday's quiet items are read with the morning's work. A (user, day)
    # unique row keeps it to one e-mail a day even if beat fires twice or catches up late.
    "servicedesk-notification-digest": {
        "task": "servicedesk.tasks.notification_digests_send_task", "schedule": crontab(minute=0, hour=8),
        "options": {"expires": 6 * HOUR},
    },
    # Visit reminders to customers, the evening before: hourly from 18:00 to 20:00 local (before the
    # 21:00 quiet hours), so a visit booked late in the afternoon is still reminded; the VisitReminder
    # row (one per work order) makes each reminder exactly once.
    "portal-visit-reminders": {
        "task": "portal.tasks.visit_reminders_task", "schedule": crontab(minute=0, hour="18-20"),
        "options": {"expires": HOUR},
    },
    # Report emails: hourly. A daily report must arrive early in the morning, and each run only
    # inserts one (subscription, period) row per subscriber — the unique row makes it exactly once
    # and, after downtime, the next tick sends the latest missed period (no flood of old ones).
    "reports-deliveries": {
        "task": "reports.tasks.report_deliveries_send",
        "schedule": HOUR,
        "options": {"expires": HOUR},
    },
    # Anomaly alerts on the live monitoring board: every 5 minutes — a supervisor should hear of a bad
    # day while it can still be helped, and the figures (today's contacts, surveys, complaints) move on
    # that scale; a (rule, person, day) unique row makes each alert once per day, even run twice.
    "monitoring-anomalies": {
        "task": "monitoring.tasks.anomalies_evaluate_task", "schedule": 5 * MINUTE,
        "options": {"expires": 5 * MINUTE},
    },
    # The REST API's call log: nightly at 03:30 local (quiet hours), rows older than API_CALL_LOG_DAYS go in
    # bounded batches; deleting is idempotent, so a second run in the same night finds nothing.
    "api-call-log-prune": {
        "task": "api.tasks.call_log_prune_task", "schedule": crontab(minute=30, hour=3),
        "options": {"expires": 6 * HOUR},
    },
    # Contract and warranty renewal reminders (issue 17 §7): 09:15 local, after the office opens, so a
    # task or a notice is read the day it is made and the customers' SMS is not at dawn; hourly until 17:15
    # in case beat was down. Reminder rows are unique per (rule, contract/asset, end date): once each.
    "contracts-reminders": {
        "task": "contracts.tasks.reminders_sweep_task", "schedule": crontab(minute=15, hour="9-17"),
        "options": {"expires": HOUR},
    },
    # Care-day greetings (issue 17 §10): 09:45 local, hourly until 17:45 in case beat was down; a
    # (customer, year) unique row sends each greeting once. A day the job never ran is not caught up.
    "contracts-care-greetings": {
        "task": "contracts.tasks.care_greetings_send_task", "schedule": crontab(minute=45, hour="9-17"),
        "options": {"expires": HOUR},
    },
    # Improvement actions (PDCA) carried to the next month: daily at 00:20 local. The carry happens once a
    # month, but running daily catches up the day after any downtime; an (action, to_month) unique row makes
    # each carry exactly once, and an idle day is one probe of the partial index on unfinished actions' month.
    "improvement-carry-over": {
        "task": "improvement.tasks.actions_carry_over_task", "schedule": crontab(minute=20, hour=0),
        "options": {"expires": 6 * HOUR},
    },
    # Overdue improvement actions: daily at 08:40 local (due dates are days), so the owner reads it when the
    # office opens; a compare-and-set on overdue_notified_at makes it once per action.
    "improvement-overdue": {
        "task": "improvement.tasks.actions_overdue_notify_task", "schedule": crontab(minute=40, hour=8),
        "options": {"expires": 6 * HOUR},
    },

    # Planned maintenance: each visit's ticket and work order MAINTENANCE_LEAD_DAYS ahead, then missed
    # visits escalate. The job is daily by nature; hourly from 06:20 to 18:20 local so a plan created or
    # changed during the day gets its work order the same day and a beat down in the morning catches up.
    # Due plans are probed through a partial index; SKIP LOCKED + the (plan, due_on) unique row make each
    # occurrence exactly once, even with two beats.
    "maintenance-visits": {
        "task": "maintenance.tasks.maintenance_sweep_task", "schedule": crontab(minute=20, hour="6-18"),
        "options": {"expires": HOUR},
    },
    # Customer imports (issue 19 item 8): every minute. A check or an import runs in the task queued when it
    # was asked for; this continues one whose task was never queued (broker down) or died with its worker,
    # from its cursor (a row is never imported twice). An idle tick is one probe of a partial index.
    "customers-imports-resume": {"task": "customers.imports_resume", "schedule": MINUTE, "options": {"expires": MINUTE}},
    # Retention of personal data (issue 19 item 12): the run is monthly — one RetentionRun row per month —
    # but the tick is hourly at :50, each tick working 45 s in bounded batches, so a large month is
    # finished over some hours without a long transaction, and a month whose first tick was missed starts
    # at the next. A finished month's tick is two queries; the run's lease keeps two beats from overlapping.
    "customers-retention": {
        "task": "customers.retention_run", "schedule": crontab(minute=50),
        "options": {"expires": HOUR},
    },
}

# Which task each entry runs; beat itself sends the slot-claiming wrapper (see the module docstring).
PERIODIC_TASKS = {name: entry["task"] for name, entry in app.conf.beat_schedule.items()}
for _name, _entry in app.conf.beat_schedule.items():
    _entry["task"] = "servicedesk.tasks.periodic_job_run"
    _entry["args"] = [_name]


def periodic_interval(name: str) -> float:
    """Seconds between two runs of an entry (crontab entries: their slot is one minute)."""
    schedule = app.conf.beat_schedule[name]["schedule"]
    if isinstance(schedule, (int, float)):
        return float(schedule)
    return 60.0
