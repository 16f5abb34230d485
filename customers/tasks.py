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


@shared_task(name="customers.import_check")
def import_check_task(import_id: int) -> dict:
    """The dry run of a customer file (issue 19 item 8); running it again checks afresh."""
    from .importer import import_check

    imp = import_check(import_id=import_id)
    return {"id": imp.pk, "valid": imp.valid, "duplicates": imp.duplicates, "invalid": imp.invalid}


@shared_task(name="customers.import_run")
def import_run_task(import_id: int) -> dict:
    """Import a checked customer file from its cursor (safe to run twice: the cursor is locked per batch)."""
    from .importer import import_run

    imp = import_run(import_id=import_id)
    return {"id": imp.pk, "position": imp.position, "created": imp.created_customers, "state": imp.state}


@shared_task(name="customers.imports_resume")
def imports_resume_task() -> int:
    from .importer import imports_resume

    return imports_resume()
