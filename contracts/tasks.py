"""Thin Celery wrappers: the services decide what is due and make it exactly once."""
from celery import shared_task


@shared_task
def reminders_sweep_task():
    """Renewal reminders due today (contracts and warranties); a second run the same day does nothing."""
    from .services import reminders_sweep

    return reminders_sweep()


@shared_task
def care_greetings_send_task():
    """Today's care-day greetings; once per customer and year however often it runs."""
    from .services import care_greetings_send

    return care_greetings_send()
