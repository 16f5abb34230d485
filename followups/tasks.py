"""Thin Celery tasks: they take ids, call a service, and are safe to run twice."""
from celery import shared_task

from .delivery import DeliveryError


@shared_task(bind=True, autoretry_for=(DeliveryError,), retry_backoff=30, retry_backoff_max=3600, retry_jitter=True,
             max_retries=5)
def survey_invitation_send_task(self, invitation_id: int) -> str:
    """Send one survey link; a temporary delivery failure is retried with exponential backoff."""
    from .services import survey_invitation_send

    return survey_invitation_send(invitation_id=invitation_id)


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


@shared_task
def survey_invitations_resend_task() -> int:
    from .services import survey_invitations_resend_due

    return survey_invitations_resend_due()
