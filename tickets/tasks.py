"""Thin Celery tasks for tickets: they take ids and call services."""
from datetime import timedelta

from celery import shared_task

SWEEP_BATCH = 50


@shared_task
def reply_email_send(reply_id: int):
    """Email one public reply to the customer. Idempotent: only the worker that claims the reply sends it.

    A failure is recorded on the reply (status failed + next attempt with backoff); the periodic
    sweep re-enqueues it, so a broker or SMTP outage delays the email but never loses the reply.
    """
    from django.conf import settings
    from django.core.mail import send_mail
    from django.utils import translation
    from django.utils.translation import gettext as _

    from .models import TicketReply
    from .services import reply_delivery_claim, reply_delivery_mark

    if not reply_delivery_claim(reply_id=reply_id):
        return "skipped"
    reply = TicketReply.objects.select_related("ticket__customer").get(pk=reply_id)
    customer = reply.ticket.customer
    try:
        with translation.override(customer.preferred_language or settings.LANGUAGE_CODE):
            subject = _("Re: %(number)s %(subject)s") % {"number": reply.ticket.number,
                                                         "subject": reply.ticket.subject}
        send_mail(subject=subject[:150], message=reply.body, from_email=settings.DEFAULT_FROM_EMAIL,
                  recipient_list=[customer.email])
    except Exception as exc:  # SMTP down, bad address, anything: record it, the sweep retries
        reply_delivery_mark(reply_id=reply_id, ok=False, error=f"{type(exc).__name__}: {exc}")
        return "failed"
    reply_delivery_mark(reply_id=reply_id, ok=True)
    return "sent"


@shared_task
def reply_delivery_sweep():
    """Re-enqueue replies whose email is due (never published, failed and backed off, or stuck sending)."""
    from django.db import transaction
    from django.utils import timezone

    from servicedesk.queue import enqueue_on_commit

    from .models import TicketReply

    now = timezone.now()
    with transaction.atomic():
        qs = (TicketReply.objects.filter(delivery_status__in=["pending", "sending", "failed"],
                                         next_attempt_at__lte=now)
              .order_by("next_attempt_at"))
        ids = list(qs.select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True)[:SWEEP_BATCH])
        for pk in ids:
            enqueue_on_commit(reply_email_send, pk)
    return len(ids)
