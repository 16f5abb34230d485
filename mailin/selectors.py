"""Reads for the e-mail intake pages."""
from django.db.models import QuerySet

from .models import InboundEmail, Mailbox


def mailboxes_for_page() -> list[Mailbox]:
    """Every mailbox with its last poll's counts as (label, n) pairs for the page. One query."""
    from django.utils.translation import gettext as _

    labels = dict(InboundEmail.Outcome.choices)
    mailboxes = list(Mailbox.objects.order_by("name"))
    for m in mailboxes:
        counts = m.last_counts if isinstance(m.last_counts, dict) else {}
        m.count_items = [(_("fetched") if key == "fetched" else labels.get(key, key), n)
                         for key, n in counts.items() if isinstance(n, int)]
    return mailboxes


def inbound_emails(*, mailbox_id: int | None = None) -> QuerySet:
    """Received messages, newest first, with what the log shows (ticket number, mailbox name): one query a page."""
    qs = InboundEmail.objects.select_related("ticket", "mailbox").only(
        "pk", "message_id", "outcome", "sender", "subject", "received_at", "notes", "eml", "size",
        "ticket__id", "ticket__number", "mailbox__id", "mailbox__name").order_by("-received_at", "-pk")
    if mailbox_id:
        qs = qs.filter(mailbox_id=mailbox_id)
    return qs


def eml_allowed(user, inbound: InboundEmail) -> bool:
    """The original message is customer data: staff who can open its ticket, or mailbox managers."""
    if user.has_perm("mailin.manage_mailboxes"):
        return True
    return inbound.ticket_id is not None and user.has_perm("tickets.view_ticket")
