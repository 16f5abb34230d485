"""Thin Celery tasks: they take ids, call a service, and are safe to run twice.

Survey links are outbox messages (servicedesk/outbox.py): the survey resend sweep that lived here is
gone, the outbox sweep delivers them."""
from celery import shared_task


@shared_task
def callback_reminders_sweep_task() -> int:
    from .services import callback_reminders_sweep

    return callback_reminders_sweep()


@shared_task
def callback_digests_task() -> int:
    from .services import callback_digests_send

    return callback_digests_send()


@shared_task
def key_account_callbacks_task() -> int:
    from .services import callbacks_key_accounts_create

    return callbacks_key_accounts_create()
