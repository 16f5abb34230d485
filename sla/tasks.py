from celery import shared_task


@shared_task(ignore_result=True)
def sla_sweep():
    """Beat, every minute: fire due SLA warnings and escalations (exactly once, see sla.services)."""
    from .services import sla_sweep as sweep

    return sweep().as_dict()
