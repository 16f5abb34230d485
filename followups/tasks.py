"""Thin Celery tasks: they take ids, call a service, and are safe to run twice."""
from celery import shared_task

from .delivery import DeliveryError


@shared_task(bind=True, max_retries=5)
def survey_invitation_send_task(self, invitation_id: int) -> str:
    """Send one survey link. A temporary delivery failure is retried with exponential backoff:
    SURVEY_RETRY_BACKOFF seconds (default 30), doubling each time (30 s, 1 min, 2 min, …, at most 1 h);
    after that the resend sweep keeps trying with longer pauses."""
    from django.conf import settings

    from .services import survey_invitation_send

    try:
        return survey_invitation_send(invitation_id=invitation_id)
    except DeliveryError as exc:
        base = getattr(settings, "SURVEY_RETRY_BACKOFF", 30)
        raise self.retry(exc=exc, countdown=min(3600, base * 2 ** self.request.retries)) from exc


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
