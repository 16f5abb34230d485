"""Celery tasks for dispatch: thin, idempotent, the service does the work."""
from celery import shared_task


@shared_task(name="dispatch.offers_expire_due")
def offers_expire_due() -> int:
    from .services import offers_expire_due as sweep

    return sweep()


@shared_task(name="dispatch.escalations_check_due")
def escalations_check_due() -> int:
    from .services import escalations_check_due as sweep

    return sweep()


@shared_task(name="dispatch.workorder_auto_dispatch")
def workorder_auto_dispatch(work_order_id: int) -> bool:
    """Dispatch a new work order after its creation commits; a no-op if it was dispatched meanwhile."""
    from django.core.exceptions import ValidationError

    from .models import WorkOrder
    from .services import workorder_auto_dispatch as dispatch

    wo = WorkOrder.objects.filter(pk=work_order_id, status=WorkOrder.Status.UNASSIGNED).first()
    if wo is None:
        return False
    try:
        dispatch(work_order=wo)
    except ValidationError:  # someone dispatched it between our read and the lock
        return False
    return True
