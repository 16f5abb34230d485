"""Thin Celery tasks for customers: they call a service and are safe to run twice."""
from celery import shared_task


@shared_task(name="customers.retention_run")
def retention_run_task() -> dict | None:
    """This month's retention run (issue 19 item 12), or its continuation; None when done or running elsewhere."""
    from .retention import retention_run

    run = retention_run()
    if run is None:
        return None
    return {"month": run.month.isoformat(), "tickets": run.tickets, "files": run.files, "recordings": run.recordings,
            "access_logs": run.access_logs, "finished": run.finished_at is not None}
