"""Thin Celery tasks for tickets. Reply e-mails and SMS are outbox messages (servicedesk/outbox.py):
the per-area reply sweep that lived here is gone, the outbox sweep delivers them."""
from celery import shared_task


@shared_task(name="tickets.bulk_action_run", acks_late=True)
def bulk_action_run(bulk_id: int) -> dict:
    """Run one bulk change to its end (idempotent: the cursor moves with the tickets)."""
    from .bulk import bulk_run

    bulk = bulk_run(bulk_id=bulk_id)
    return {"id": bulk.pk, "position": bulk.position, "total": bulk.total}


@shared_task(name="tickets.bulk_actions_resume")
def bulk_actions_resume_task() -> int:
    """Beat's safety net: finish bulk changes whose task was never queued or died with its worker."""
    from .bulk import bulk_actions_resume

    return bulk_actions_resume()


@shared_task(name="tickets.flow_compact")
def flow_compact_task() -> dict:
    """Nightly: fold the monthly report's ticket-flow rollup (tickets.services.flow_rollup_compact)."""
    from .services import flow_rollup_compact

    return flow_rollup_compact()
