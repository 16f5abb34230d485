from celery import shared_task


@shared_task(bind=True, max_retries=5, default_retry_delay=60)
def notification_email_send(self, notification_id: int):
    """Mail one notification. Idempotent: a notification already mailed is not mailed again."""
    from django.core.mail import send_mail
    from django.conf import settings

    from .models import Notification

    updated = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True)
    notification = updated.select_related("recipient").first()
    if notification is None:
        return
    try:
        send_mail(
            subject=notification.message[:78],
            message=f"{notification.message}\n\n{notification.url}",
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[notification.recipient.email],
        )
    except Exception as exc:
        raise self.retry(exc=exc)
    from django.utils import timezone

    Notification.objects.filter(pk=notification_id).update(emailed_at=timezone.now())


@shared_task
def notification_digests_send_task():
    """The daily digest; idempotent (one per person per day: NotificationDigest's unique row)."""
    from .digests import notification_digests_send

    return notification_digests_send()
