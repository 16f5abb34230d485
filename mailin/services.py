"""E-mail intake writes (issue 16 item 1): a message becomes a ticket or a customer's reply, exactly once.

``inbound_email_process`` handles one message in one transaction. Its first write claims the
message's Message-ID (``InboundEmail`` is UNIQUE on it), so the same message processed again — the
poll crashed after the commit and before the message was flagged on the server, or two workers
fetched it at once — is recorded as a duplicate and opens nothing. ``mailbox_poll`` flags a message
(\\Seen, or moves it) only after that transaction committed; a message that cannot be read is
recorded as an error and flagged too, so one bad message never blocks its mailbox, and one mailbox
that cannot be reached never stops the others (``mailboxes_poll``).
"""
import imaplib
import logging
import os
import re
import socket
import ssl
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from customers.models import Channel, Customer
from servicedesk.services import system_user
from tickets.models import Ticket, TicketSettings

from .models import EmailSender, InboundEmail, Mailbox, is_loopback
from .parsing import Parsed, parse

logger = logging.getLogger(__name__)

Outcome = InboundEmail.Outcome
MAIL_USERNAME = "mail"
OUTBOX_DOMAIN = "servicedesk.outbox"  # servicedesk/outbox.py::_send writes Message-ID <key>@servicedesk.outbox
MAX_ATTACHMENTS = 10  # as many as a staff member may attach at a time (tickets/forms.py)
SENDER_LIMIT_PER_MINUTE = 5
POLL_BATCH = 500
POLL_LEASE = timedelta(minutes=10)
IMAP_TIMEOUT = 30
NUMBER_RE = re.compile(r"\b([A-Za-z]{2})-(\d{4})-(\d{6})\b")


def mail_user():
    """The system account e-mail intake records its writes under. It cannot sign in."""
    return system_user(username=MAIL_USERNAME, display_name="电子邮件")


def sender_limit() -> int:
    """Django setting, else the environment variable of the same name, else 5."""
    default = os.environ.get("MAILIN_SENDER_LIMIT_PER_MINUTE", SENDER_LIMIT_PER_MINUTE)
    return int(getattr(settings, "MAILIN_SENDER_LIMIT_PER_MINUTE", default))


# --- who wrote, and about which ticket ------------------------------------------------------------
def _survivor(customer: Customer | None) -> Customer | None:
    if customer is None:
        return None
    from customers.selectors import customer_survivor

    return customer_survivor(customer) if customer.merged_into_id else customer


def customer_for_address(address: str) -> Customer | None:
    """The customer an address belongs to: one we created from an e-mail, else a record with that
    e-mail (case-insensitive; the oldest if several)."""
    known = EmailSender.objects.filter(address=address).select_related("customer").first()
    if known is not None:
        return _survivor(known.customer)
    found = Customer.objects.filter(email__iexact=address, merged_into__isnull=True).order_by("pk").first()
    return found


def _customer_get_or_create(*, parsed: Parsed, actor, now: datetime) -> tuple[Customer, bool]:
    """The sender's customer, or a new unverified one (as the portal's online form makes them).

    Never a duplicate: the new customer's address is inserted into EmailSender (UNIQUE) in this
    transaction; a concurrent message from the same new address waits on that insert and then
    finds the customer through it.
    """
    from customers.services import customer_create

    existing = customer_for_address(parsed.sender)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            claim = EmailSender.objects.create(address=parsed.sender, created_at=now)
    except IntegrityError:
        # Another message from this address created its customer first (that transaction committed
        # while this insert waited on the unique index).
        winner = EmailSender.objects.select_related("customer").get(address=parsed.sender)
        return _survivor(winner.customer), False
    name = parsed.sender_name or parsed.sender.split("@", 1)[0]
    fields = {"name": name[:200], "phones": [], "phone_required": False, "created_by": actor,
              "channel": Channel.EMAIL, "now": now}
    try:
        with transaction.atomic():
            customer = customer_create(email=parsed.sender, preferred_channel="email", **fields)
    except ValidationError:
        # An address mail servers deliver but Django's validator refuses (a bare host, a long local
        # part): the customer is still made and found again through EmailSender; staff add the e-mail.
        customer = customer_create(email="", **fields)
    EmailSender.objects.filter(pk=claim.pk).update(customer=customer)
    Customer.objects.filter(pk=customer.pk).update(owner=None, first_contact_by=None, self_registered=True,
                                                   is_verified=False)
    customer.owner = customer.first_contact_by = None
    customer.self_registered, customer.is_verified = True, False
    return customer, True


def ticket_for_thread(thread_ids: list[str]) -> Ticket | None:
    """The ticket one of our own sent messages (In-Reply-To / References) was about.

    Our Message-IDs are ``<idempotency key>@servicedesk.outbox``: the outbox row is found by its
    unique key; a reply's row points at the TicketReply, a message to the customer carries the ticket
    number first in its subject (portal.services.customer_message_send, tickets.services._reply_outgoing).
    """
    from servicedesk.models import OutboxMessage
    from tickets.models import TicketReply

    keys = [i.split("@", 1)[0] for i in thread_ids if i.lower().endswith("@" + OUTBOX_DOMAIN)][:20]
    if not keys:
        return None
    rows = {r.idempotency_key: r for r in OutboxMessage.objects.filter(idempotency_key__in=keys)
            .only("idempotency_key", "source_type", "source_id", "subject")}
    for key in keys:
        row = rows.get(key)
        if row is None:
            continue
        if row.source_type == "tickets.ticketreply" and row.source_id:
            reply = TicketReply.objects.filter(pk=row.source_id).select_related("ticket__customer").first()
            if reply is not None:
                return reply.ticket
        match = NUMBER_RE.search(row.subject or "")
        if match:
            ticket = Ticket.objects.filter(number=_number(match)).select_related("customer").first()
            if ticket is not None:
                return ticket
    return None


def _number(match) -> str:
    prefix, year, seq = match.groups()
    return f"{prefix.upper()}-{year}-{int(seq):06d}"


def ticket_for_subject(subject: str, customer: Customer | None) -> Ticket | None:
    """A ticket whose number is in the subject ("Re: SR-2026-000123 …") — only the sender's own: a
    number is easy to guess, so a stranger writing it opens a new ticket instead."""
    if customer is None:
        return None
    for match in NUMBER_RE.finditer(subject or ""):
        ticket = Ticket.objects.filter(number=_number(match)).select_related("customer").first()
        if ticket is not None and _survivor(ticket.customer).pk == customer.pk:
            return ticket
    return None


# --- attachments ---------------------------------------------------------------------------------
def _checked_attachments(parsed: Parsed) -> tuple[list, list[str]]:
    """(accepted [(file, content type)], dropped ["x.exe (type not allowed)"]): the same checks and
    limits as staff uploads (tickets/uploads.py, TicketSettings.attachment_max_mb)."""
    from tickets.uploads import check_upload

    accepted, dropped = [], []
    if not parsed.attachments:
        return accepted, dropped
    max_mb = TicketSettings.current().attachment_max_mb
    reasons = {"file_type": _("type not allowed"), "file_size": _("larger than %(mb)s MB") % {"mb": max_mb},
               "file_empty": _("empty"), "file_content": _("content does not match its type")}
    for att in parsed.attachments:
        if len(accepted) >= MAX_ATTACHMENTS:
            dropped.append(_("%(name)s (more than %(n)s attachments)") % {"name": att.filename, "n": MAX_ATTACHMENTS})
            continue
        upload = ContentFile(att.data, name=att.filename)
        try:
            accepted.append((upload, check_upload(upload, max_mb=max_mb)))
        except ValidationError as exc:
            reason = reasons.get(exc.code, exc.messages[0] if exc.messages else "")
            dropped.append(_("%(name)s (%(reason)s)") % {"name": att.filename, "reason": reason})
    return accepted, dropped


# --- one message ---------------------------------------------------------------------------------
class _Duplicate(Exception):
    pass


def _throttled(*, sender: str, now: datetime, exclude_pk: int) -> bool:
    """MAILIN_SENDER_LIMIT_PER_MINUTE: counted in the database (InboundEmail rows), so every worker
    and every restart sees the same count."""
    recent = (InboundEmail.objects.filter(sender=sender, received_at__gt=now - timedelta(minutes=1),
                                          received_at__lte=now)
              .exclude(outcome=Outcome.DUPLICATE).exclude(pk=exclude_pk).count())
    return recent >= sender_limit()


def _store_eml(row: InboundEmail, raw: bytes) -> None:
    row.eml.save(f"{row.pk}.eml", ContentFile(raw), save=False)


def _staff_text(parsed: Parsed) -> tuple[str, str]:
    subject = parsed.subject.strip()
    words = " ".join(parsed.text.split())
    if not subject:
        subject = (words[:60] + "…") if len(words) > 60 else words
    subject = subject or _("(no subject)")
    body = parsed.text.strip() or _("(The e-mail had no text.)")
    who = f"{parsed.sender_name} <{parsed.sender}>" if parsed.sender_name else parsed.sender
    return subject[:200], f"{body}\n\n—\n" + _("Received by e-mail from %(sender)s") % {"sender": who}


def _open_or_reply(*, row: InboundEmail, parsed: Parsed, mailbox: Mailbox | None, now: datetime) -> None:
    from portal.services import customer_reply_add
    from tickets.services import attachment_add, ticket_create, ticket_reply

    actor = mail_user()
    # An answer to one of our messages belongs to that ticket's customer (a colleague may answer from
    # another address: the Message-ID is the proof, and no second customer is made for them).
    ticket = ticket_for_thread(parsed.thread_ids)
    if ticket is not None:
        customer = _survivor(ticket.customer)
    else:
        customer, _created = _customer_get_or_create(parsed=parsed, actor=actor, now=now)
        ticket = ticket_for_subject(parsed.subject, customer)
    accepted, dropped = _checked_attachments(parsed)
    notes = [*dropped]
    if ticket is not None:
        try:
            with transaction.atomic():
                customer_reply_add(ticket=ticket, body=parsed.text.strip() or _("(The e-mail had no text.)"),
                                   files=accepted, now=now, actor=actor)
        except ValidationError:  # cancelled: the customer's words open a new ticket instead
            notes.append(_("Written about %(number)s, which is cancelled: opened as a new ticket.")
                         % {"number": ticket.number})
            for upload, _ct in accepted:  # refused before any file was read; read them again from the start
                upload.seek(0)
            ticket = None
    if ticket is None:
        subject, description = _staff_text(parsed)
        kind = mailbox.default_kind if mailbox is not None else Ticket.Kind.INQUIRY
        ticket = ticket_create(customer=customer, kind=kind, subject=subject, description=description,
                               created_by=actor, channel=Channel.EMAIL, now=now)
        for upload, content_type in accepted:
            attachment_add(ticket=ticket, uploaded_by=actor, file=upload, content_type=content_type, now=now)
        row.outcome = Outcome.CREATED
    else:
        row.outcome = Outcome.REPLIED
    if parsed.problems:
        notes.append(_("Parts of the e-mail could not be read: %(what)s") % {"what": ", ".join(sorted(set(parsed.problems)))})
    if dropped or parsed.problems:
        body = "\n".join([_("From the e-mail of %(sender)s:") % {"sender": parsed.sender}]
                         + ([_("Dropped: %(files)s") % {"files": "; ".join(dropped)}] if dropped else [])
                         + [n for n in notes if n not in dropped])
        ticket_reply(ticket=ticket, author=actor, body=body, public=False, now=now)
    row.ticket, row.customer = ticket, customer
    row.notes = "\n".join(notes)


def inbound_email_process(*, raw: bytes, mailbox: Mailbox | None = None, now: datetime | None = None) -> InboundEmail:
    """Turn one raw message into a ticket, a customer's reply, or a recorded reason not to (issue 16 item 1).

    Never raises for anything in the message: a message that makes processing fail is recorded with
    outcome "error" and its reason. Raises only when the database itself fails (then the caller does
    not flag the message, and it is tried again next poll).
    """
    now = now or timezone.now()
    parsed = parse(raw)
    base = {"mailbox": mailbox, "message_id": parsed.message_id, "sender": parsed.sender,
            "subject": parsed.subject[:255], "received_at": now, "size": len(raw)}
    with translation.override(settings.LANGUAGE_CODE):  # notes and subjects in the department's language
        try:
            with transaction.atomic():
                return _process(raw=raw, parsed=parsed, base=base, mailbox=mailbox, now=now)
        except _Duplicate:
            return _record_duplicate(base)
        except Exception as exc:  # noqa: BLE001 — recorded on the row; the mailbox carries on
            logger.exception("E-mail %s from %s could not be processed", parsed.message_id, parsed.sender)
            reason = f"{type(exc).__name__}: {exc}"[:1000]
            try:
                with transaction.atomic():
                    row = InboundEmail.objects.create(**base, outcome=Outcome.ERROR, notes=reason)
                    _store_eml(row, raw)
                    row.save(update_fields=["eml"])
                    return row
            except IntegrityError:
                return _record_duplicate(base)


def _record_duplicate(base: dict) -> InboundEmail:
    first = InboundEmail.objects.filter(message_id=base["message_id"]).exclude(outcome=Outcome.DUPLICATE).first()
    note = _("Already processed (%(outcome)s).") % {"outcome": first.get_outcome_display()} if first else ""
    return InboundEmail.objects.create(**base, outcome=Outcome.DUPLICATE, notes=note,
                                       ticket=first.ticket if first else None,
                                       customer=first.customer if first else None)


def _process(*, raw: bytes, parsed: Parsed, base: dict, mailbox, now: datetime) -> InboundEmail:
    if InboundEmail.objects.filter(message_id=parsed.message_id).exclude(outcome=Outcome.DUPLICATE).exists():
        raise _Duplicate
    row = InboundEmail(**base, outcome=Outcome.ERROR)
    try:
        with transaction.atomic():
            row.save()  # claims the Message-ID: a concurrent copy waits here, then is a duplicate
    except IntegrityError:
        raise _Duplicate from None
    if not parsed.sender:
        row.outcome, row.notes = Outcome.NO_SENDER, _("No sender address: nobody to answer.")
    elif parsed.loop:
        row.outcome = {"auto_reply": Outcome.AUTO_REPLY, "bounce": Outcome.BOUNCE, "list": Outcome.LIST}[parsed.loop]
    elif parsed.sender.lower() == settings.DEFAULT_FROM_EMAIL.lower() or parsed.sender.endswith("@" + OUTBOX_DOMAIN):
        row.outcome, row.notes = Outcome.AUTO_REPLY, _("Sent by ServiceDesk itself.")
    elif _throttled(sender=parsed.sender, now=now, exclude_pk=row.pk):
        row.outcome = Outcome.THROTTLED
        row.notes = _("More than %(n)s messages a minute from this sender.") % {"n": sender_limit()}
    else:
        _open_or_reply(row=row, parsed=parsed, mailbox=mailbox, now=now)
    _store_eml(row, raw)
    row.save()
    return row


# --- polling -------------------------------------------------------------------------------------
class MailboxError(Exception):
    """The mailbox could not be polled (refused connection, bad password, missing folder)."""


def mailbox_password(mailbox: Mailbox) -> str:
    name = mailbox.password_env.strip()
    if name:
        value = os.environ.get(name)
        if value is None:
            raise MailboxError(_("The environment variable %(name)s is not set on the worker.") % {"name": name})
        return value
    return mailbox.password


def _connect(mailbox: Mailbox) -> imaplib.IMAP4:
    S = Mailbox.Security
    password = mailbox_password(mailbox)  # a missing variable is said before any network wait
    if mailbox.security == S.IMAPS:
        conn = imaplib.IMAP4_SSL(mailbox.host, mailbox.port, ssl_context=ssl.create_default_context(),
                                 timeout=IMAP_TIMEOUT)
    else:
        if mailbox.security == S.PLAIN and not is_loopback(mailbox.host):
            raise MailboxError(_("A connection without TLS is only allowed to a server on this machine."))
        conn = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=IMAP_TIMEOUT)
        if mailbox.security == S.STARTTLS:
            conn.starttls(ssl_context=ssl.create_default_context())
    conn.login(mailbox.username, password)
    # imaplib keeps the capabilities from before login; servers announce MOVE only after it.
    typ, data = conn.capability()
    if typ == "OK" and data and data[-1]:
        conn.capabilities = tuple(data[-1].decode("ascii", "replace").upper().split())
    return conn


def _check(result, what: str):
    typ, data = result
    if typ != "OK":
        raise MailboxError(f"{what}: {typ} {data!r}"[:400])
    return data


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mark_processed(conn: imaplib.IMAP4, uid: bytes, mailbox: Mailbox) -> None:
    """After the message's transaction committed: move it to the processed folder, or mark it \\Seen."""
    if mailbox.processed_folder:
        if "MOVE" in conn.capabilities:  # RFC 6851; else the classic copy, delete, expunge
            _check(conn.uid("MOVE", uid, _quoted(mailbox.processed_folder)), "MOVE")
        else:
            _check(conn.uid("COPY", uid, _quoted(mailbox.processed_folder)), "COPY")
            _check(conn.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)"), "STORE")
            conn.expunge()
    else:
        _check(conn.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen)"), "STORE")


def _claim(mailbox: Mailbox, now: datetime) -> bool:
    return bool(Mailbox.objects.filter(pk=mailbox.pk).filter(
        Q(poll_lease_until__isnull=True) | Q(poll_lease_until__lt=now)).update(poll_lease_until=now + POLL_LEASE))


def mailbox_poll(*, mailbox: Mailbox, limit: int = POLL_BATCH, now: datetime | None = None) -> dict:
    """Fetch up to ``limit`` new messages, process each in its own transaction, flag each after its commit.

    Returns the counts by outcome (plus "fetched"); a failure of the mailbox is recorded on it
    (last_result "failed", last_error) and returned as {"failure": …}, never raised.
    """
    started = now or timezone.now()
    if not _claim(mailbox, started):
        return {"skipped": 1}
    counts: dict = {"fetched": 0}
    error = ""
    conn = None
    try:
        conn = _connect(mailbox)
        _check(conn.select(_quoted(mailbox.folder)), "SELECT")
        # With a processed folder everything left in the folder is unprocessed (or processed and not
        # yet moved: a duplicate, moved now); otherwise the unread messages are.
        criteria = "UNDELETED" if mailbox.processed_folder else "UNSEEN"
        uids = (_check(conn.uid("SEARCH", None, criteria), "SEARCH")[0] or b"").split()[:limit]
        if mailbox.processed_folder:
            conn.create(_quoted(mailbox.processed_folder))  # "already exists" is fine
        for uid in uids:
            data = _check(conn.uid("FETCH", uid, "(BODY.PEEK[])"), "FETCH")
            raw = next((item[1] for item in data if isinstance(item, tuple) and len(item) > 1), None)
            if raw is None:
                continue
            counts["fetched"] += 1
            row = inbound_email_process(raw=raw, mailbox=mailbox, now=now)
            counts[row.outcome] = counts.get(row.outcome, 0) + 1
            mark_processed(conn, uid, mailbox)  # only now: the row above is committed
    except (OSError, imaplib.IMAP4.error, MailboxError, socket.timeout, ssl.SSLError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
        logger.warning("Mailbox %s: %s", mailbox.name, error)
    finally:
        if conn is not None:
            try:
                conn.logout()
            except Exception:  # noqa: BLE001 — the connection is already gone
                pass
        fields = {"last_poll_at": now or timezone.now(), "last_counts": counts, "poll_lease_until": None,
                  "last_result": Mailbox.PollResult.FAILED if error else Mailbox.PollResult.OK, "last_error": error}
        Mailbox.objects.filter(pk=mailbox.pk).update(**fields)
        for name, value in fields.items():
            setattr(mailbox, name, value)
    if error:
        counts["failure"] = error  # not "error": that key counts messages recorded with outcome "error"
    return counts


def mailboxes_poll(*, now: datetime | None = None) -> dict:
    """Beat, every minute: poll each enabled mailbox in turn. One mailbox's failure — even an
    unexpected one — is recorded on it and never stops the others."""
    results = {}
    for mailbox in Mailbox.objects.filter(enabled=True).order_by("pk"):
        started = time.monotonic()
        try:
            results[mailbox.name] = mailbox_poll(mailbox=mailbox, now=now)
        except Exception as exc:  # noqa: BLE001 — e.g. the database refused a write for this mailbox
            logger.exception("Mailbox %s: poll failed", mailbox.name)
            error = f"{type(exc).__name__}: {exc}"[:500]
            Mailbox.objects.filter(pk=mailbox.pk).update(
                last_poll_at=timezone.now(), last_result=Mailbox.PollResult.FAILED, last_error=error,
                poll_lease_until=None)
            results[mailbox.name] = {"failure": error}
        results[mailbox.name]["seconds"] = round(time.monotonic() - started, 2)
    return results
