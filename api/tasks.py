"""Thin Celery tasks for the REST API: they call a service and are safe to run twice."""
from celery import shared_task


@shared_task
def call_log_prune_task() -> int:
    from .services import call_log_prune

    return call_log_prune()
