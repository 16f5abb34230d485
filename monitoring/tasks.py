"""Thin Celery tasks: they call a service and are safe to run twice."""
from celery import shared_task


@shared_task
def anomalies_evaluate_task() -> int:
    from .services import anomalies_evaluate

    return anomalies_evaluate()
