from celery import shared_task


@shared_task
def maintenance_sweep_task():
    """Create the visits due within the lead time, then escalate missed ones; a second run does nothing."""
    from .services import visits_create_due, visits_escalate_missed

    result = visits_create_due()
    return {"visits": result.visits, "escalated": visits_escalate_missed()}
