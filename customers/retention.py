"""Retention of personal data (issue 19 item 12, PIPL §19): what has been kept long enough goes, monthly,
exactly once, in bounded batches, with a report.

The manager's RetentionPolicy says how long: personal details in closed (or cancelled) tickets, files
(ticket attachments, work-order photos, call-recording links), and the access log. The beat sends
``customers.retention_run`` daily; the run for the current month is one RetentionRun row (unique per
month), claimed with a lease, so two beats — or a beat and a retry — never run it twice at once, and a
run stopped by its time budget or a crash is continued by the next tick. Each batch locks its rows
(SKIP LOCKED), does its work, marks it done (a ticket's ``personal_data_removed_at``, a deleted row) and
adds to the run's counters in one transaction: nothing is done or counted twice.
"""
from __future__ import annotations

import time
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import PersonalDataAccess, RetentionPolicy, RetentionRun

BATCH = 200
LEASE = timedelta(minutes=10)


def _months_ago(now: datetime, months: int) -> datetime:
    local = timezone.localtime(now)
    year, month = local.year, local.month - months
    while month <= 0:
        month += 12
        year -= 1
    day = min(local.day, 28)
    return local.replace(year=year, month=month, day=day)


def cutoffs(policy: RetentionPolicy, now: datetime) -> dict[str, datetime | None]:
    return {
        "tickets": _months_ago(now, 12 * policy.ticket_years) if policy.ticket_years else None,
        "files": _months_ago(now, policy.file_months) if policy.file_months else None,
        "access_logs": _months_ago(now, policy.access_log_months) if policy.access_log_months else None,
    }


# --- what is due (each through an index) ---------------------------------------------------------------

def _due_tickets(cut):
    from tickets.models import Ticket

    S = Ticket.Status
    closed = Ticket.objects.filter(status=S.CLOSED, closed_at__lt=cut, personal_data_removed_at__isnull=True)
    cancelled = Ticket.objects.filter(status=S.CANCELLED, created_at__lt=cut, personal_data_removed_at__isnull=True)
    return closed, cancelled


def _due_files(cut):
    from dispatch.models import WorkOrderPhoto
    from tickets.models import TicketAttachment

    return (TicketAttachment.objects.filter(uploaded_at__lt=cut), WorkOrderPhoto.objects.filter(uploaded_at__lt=cut))


def _due_recordings(cut):
    from telephony.models import Call

    return Call.objects.filter(rang_at__lt=cut).exclude(recording_url="")


def due_counts(*, now: datetime | None = None, cap: int = 10_000) -> dict[str, int | None]:
    """How much is due now, per kind (capped: "10,000+" is enough to plan by). None = kept forever."""
    now = now or timezone.now()
    cut = cutoffs(RetentionPolicy.current(), now)

    def capped(qs):
        return len(qs.values_list("pk", flat=True)[:cap + 1])

    out: dict[str, int | None] = {"tickets": None, "files": None, "recordings": None, "access_logs": None}
    if cut["tickets"]:
        out["tickets"] = sum(capped(q) for q in _due_tickets(cut["tickets"]))
    if cut["files"]:
        out["files"] = sum(capped(q) for q in _due_files(cut["files"]))
        out["recordings"] = capped(_due_recordings(cut["files"]))
    if cut["access_logs"]:
        out["access_logs"] = capped(PersonalDataAccess.objects.filter(at__lt=cut["access_logs"]))
    return out


# --- one batch of each kind ----------------------------------------------------------------------------

def _count(run: RetentionRun, field: str, n: int) -> None:
    if n:
        RetentionRun.objects.filter(pk=run.pk).update(**{field: F(field) + n})


def _tickets_batch(run, cut, now) -> int:
    from tickets.models import Ticket

    from .subject import identifiers, plan_changes, rows_under

    done = 0
    for qs in _due_tickets(cut):
        with transaction.atomic():
            tickets = list(qs.select_for_update(skip_locked=True).only("pk", "customer_id").order_by("pk")[:BATCH])
            if not tickets:
                continue
            files = []
            from .models import Customer

            people = Customer.objects.in_bulk({t.customer_id for t in tickets})  # one read for the batch
            for t in tickets:
                scope = rows_under(Ticket, [t.pk], depth=2)
                # the customer's numbers today and any number written in this ticket's rows
                unique, personal = identifiers(people[t.customer_id], scope)
                changes, t_files, _counts = plan_changes(scope, unique, personal, everywhere=False)
                for model, pk, new in changes:
                    model._base_manager.filter(pk=pk).update(**new)
                files += t_files
            Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(personal_data_removed_at=now)
            _count(run, "tickets", len(tickets))
            transaction.on_commit(lambda f=files: _delete(f))
        done += len(tickets)
    return done


def _delete(files) -> None:
    for storage, name in files:
        try:
            storage.delete(name)
        except OSError:
            pass


def _files_batch(run, cut) -> int:
    done = 0
    for qs in _due_files(cut):
        model = qs.model
        field = "file" if hasattr(model, "file") else "image"
        with transaction.atomic():
            rows = list(qs.select_for_update(skip_locked=True).order_by("pk")[:BATCH])
            if not rows:
                continue
            files = [(getattr(r, field).storage, getattr(r, field).name) for r in rows if getattr(r, field)]
            model.objects.filter(pk__in=[r.pk for r in rows]).delete()
            _count(run, "files", len(rows))
            transaction.on_commit(lambda f=files: _delete(f))
        done += len(rows)
    return done


def _recordings_batch(run, cut) -> int:
    from telephony.models import Call

    with transaction.atomic():
        ids = list(_due_recordings(cut).select_for_update(skip_locked=True).order_by("pk")
                   .values_list("pk", flat=True)[:BATCH])
        if ids:
            Call.objects.filter(pk__in=ids).update(recording_url="")
            _count(run, "recordings", len(ids))
    return len(ids)


def _access_batch(run, cut) -> int:
    with transaction.atomic():
        ids = list(PersonalDataAccess.objects.filter(at__lt=cut).select_for_update(skip_locked=True)
                   .order_by("pk").values_list("pk", flat=True)[:BATCH * 10])
        if ids:
            PersonalDataAccess.objects.filter(pk__in=ids).delete()
            _count(run, "access_logs", len(ids))
    return len(ids)


# --- the run -------------------------------------------------------------------------------------------

def _month_of(now: datetime) -> date:
    return timezone.localtime(now).date().replace(day=1)


def _claim(now: datetime) -> RetentionRun | None:
    """This month's run, if this caller gets its lease; None when it is finished or another runner holds it."""
    policy = RetentionPolicy.current()
    run, _created = RetentionRun.objects.get_or_create(
        month=_month_of(now), defaults={"started_at": now, "policy": {
            "ticket_years": policy.ticket_years, "file_months": policy.file_months,
            "access_log_months": policy.access_log_months}})
    won = (RetentionRun.objects.filter(pk=run.pk, finished_at__isnull=True)
           .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now)).update(lease_until=now + LEASE))
    if not won:
        return None
    run.refresh_from_db()
    return run


def retention_run(*, now: datetime | None = None, time_budget: float = 45.0) -> RetentionRun | None:
    """Run (or continue) this month's retention. Returns the run, or None when there was nothing for this
    caller to do (finished already, or another runner has it)."""
    now = now or timezone.now()
    run = _claim(now)
    if run is None:
        return None
    policy = RetentionPolicy(**{k: v for k, v in run.policy.items()})  # the policy the run started with
    cut = cutoffs(policy, now)
    started = time.monotonic()
    while time.monotonic() - started < time_budget:
        progress = 0
        if cut["tickets"]:
            progress += _tickets_batch(run, cut["tickets"], now)
        if cut["files"]:
            progress += _files_batch(run, cut["files"]) + _recordings_batch(run, cut["files"])
        if cut["access_logs"]:
            progress += _access_batch(run, cut["access_logs"])
        if not progress:
            RetentionRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), lease_until=None)
            break
        RetentionRun.objects.filter(pk=run.pk).update(lease_until=timezone.now() + LEASE)
    else:
        RetentionRun.objects.filter(pk=run.pk).update(lease_until=None)  # the next tick continues
    run.refresh_from_db()
    return run
