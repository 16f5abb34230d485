from celery import shared_task


@shared_task(acks_late=True)
def report_export_run(export_id: int) -> None:
    from .services import export_run

    export_run(export_id=export_id)


@shared_task
def report_deliveries_send() -> int:
    from .services import deliveries_send_due

    return deliveries_send_due()
