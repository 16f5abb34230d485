"""Thin Celery tasks for the customer's door: they call a service and are safe to run twice."""
from celery import shared_task


@shared_task
def visit_reminders_task() -> int:
    from .services import visit_reminders_send

    return visit_reminders_send()
