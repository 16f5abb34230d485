"""Thin Celery tasks for e-mail intake: each calls a service and is safe to run twice (Message-IDs are unique)."""
from celery import shared_task


@shared_task(ignore_result=True)
def mailboxes_poll_task() -> dict:
    """Beat, every minute ("mailin-poll" in servicedesk/celery.py): poll every enabled mailbox."""
    from .services import mailboxes_poll

    return mailboxes_poll()


@shared_task(ignore_result=True)
def mailbox_poll_task(mailbox_id: int) -> dict:
    """A manager's "poll now"."""
    from .models import Mailbox
    from .services import mailbox_poll

    mailbox = Mailbox.objects.filter(pk=mailbox_id, enabled=True).first()
    return mailbox_poll(mailbox=mailbox) if mailbox is not None else {}
