"""E-mail intake (issue 16 item 1): the mailboxes we poll and every message we took from them."""
import ipaddress

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from tickets.models import Ticket

LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def is_loopback(host: str) -> bool:
    host = (host or "").strip().lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Mailbox(models.Model):
    """One IMAP mailbox the department receives requests in (e.g. service@…)."""

    class Security(models.TextChoices):
        IMAPS = "imaps", _("IMAPS (TLS from the start, port 993)")
        STARTTLS = "starttls", _("STARTTLS (port 143, upgraded to TLS)")
        # Plain text only to a server on this machine: the test suite's throw-away IMAP server.
        PLAIN = "plain", _("Plain, no TLS (local test servers on 127.0.0.1 only)")

    class PollResult(models.TextChoices):
        OK = "ok", _("Polled")
        FAILED = "failed", _("Poll failed")

    name = models.CharField(_("name"), max_length=100, unique=True)
    host = models.CharField(_("IMAP server"), max_length=200)
    port = models.PositiveIntegerField(_("port"), default=993)
    security = models.CharField(_("connection security"), max_length=10, choices=Security.choices,
                                default=Security.IMAPS)
    username = models.CharField(_("user name"), max_length=200)
    password_env = models.CharField(
        _("password from environment variable"), max_length=100, blank=True,
        help_text=_("Preferred: the name of an environment variable of the worker that holds the password, "
                    "e.g. MAILIN_SERVICE_PASSWORD. Then the password is not stored in the database."))
    password = models.CharField(_("password"), max_length=200, blank=True,
                                help_text=_("Only if no environment variable is given."))
    folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    processed_folder = models.CharField(
        _("move processed mail to"), max_length=200, blank=True,
        help_text=_("A folder to move each message to once its ticket is saved. Empty: the message is "
                    "marked as read and stays where it is."))
    enabled = models.BooleanField(_("enabled"), default=True)
    default_kind = models.CharField(_("kind of new tickets"), max_length=12, choices=Ticket.Kind.choices,
                                    default=Ticket.Kind.INQUIRY)
    # Written by the poll: what managers see on the mailbox page.
    last_poll_at = models.DateTimeField(_("last poll"), null=True, blank=True)
    last_result = models.CharField(_("last result"), max_length=10, choices=PollResult.choices, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    last_counts = models.JSONField(_("last counts"), default=dict, blank=True)
    # A poll claims the mailbox until then (compare-and-set), so overlapping beat ticks never poll
    # one mailbox twice at once.
    poll_lease_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        permissions = [("manage_mailboxes", _("Can manage e-mail intake mailboxes"))]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.security == self.Security.PLAIN and not is_loopback(self.host):
            raise ValidationError({"security": _("A connection without TLS is only allowed to a server on this "
                                                 "machine (127.0.0.1). Use IMAPS or STARTTLS.")})
        if not self.password_env.strip() and not self.password:
            raise ValidationError({"password_env": _("Give the environment variable that holds the password, "
                                                     "or the password itself.")})


OUTCOMES = ["created", "replied", "auto_reply", "bounce", "list", "throttled", "no_sender", "duplicate", "error"]


def eml_path(instance, filename):
    return f"mailin/{instance.received_at:%Y/%m}/{filename}"


class InboundEmail(models.Model):
    """One message taken from a mailbox and what became of it. Its Message-ID is unique among
    processed messages: that is what makes intake exactly once (a message seen again is a duplicate)."""

    class Outcome(models.TextChoices):
        CREATED = "created", _("Ticket created")
        REPLIED = "replied", _("Reply added")
        AUTO_REPLY = "auto_reply", _("Ignored: automatic reply")
        BOUNCE = "bounce", _("Ignored: bounce")
        LIST = "list", _("Ignored: mailing list")
        THROTTLED = "throttled", _("Ignored: sender throttled")
        NO_SENDER = "no_sender", _("Ignored: no sender")
        DUPLICATE = "duplicate", _("Duplicate")
        ERROR = "error", _("Error")

    mailbox = models.ForeignKey(Mailbox, verbose_name=_("mailbox"), on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="messages")
    message_id = models.CharField(_("message ID"), max_length=255)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    sender = models.CharField(_("sender"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    received_at = models.DateTimeField(_("received"))
    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="+")
    notes = models.TextField(_("notes"), blank=True)
    size = models.PositiveIntegerField(_("size"), default=0)
    eml = models.FileField(_("original message"), upload_to=eml_path, max_length=300, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("received e-mail")
        verbose_name_plural = _("received e-mails")
        constraints = [
            # Exactly once: one processed row per Message-ID. A message seen again is recorded as a
            # duplicate row, which this index leaves out.
            models.UniqueConstraint(fields=["message_id"], condition=~models.Q(outcome="duplicate"),
                                    name="inbound_email_once"),
            models.CheckConstraint(condition=models.Q(outcome__in=OUTCOMES),
                                   name="inbound_email_outcome_valid"),
        ]
        indexes = [
            # The per-sender throttle: messages from one address in the last minute.
            models.Index(fields=["sender", "received_at"], name="inbound_email_sender_idx"),
            # The mailbox page's log, newest first.
            models.Index(fields=["mailbox", "-received_at"], name="inbound_email_mailbox_idx"),
        ]

    def __str__(self):
        return f"{self.message_id} ({self.outcome})"


assert set(OUTCOMES) == set(InboundEmail.Outcome.values)  # the check constraint lists every outcome


class EmailSender(models.Model):
    """Which customer an e-mail address we created a customer for belongs to.

    The UNIQUE address is what keeps two messages from one new address (even polled at the same
    moment from two mailboxes) from creating two customers: the second insert waits for the first
    and then finds its customer. Addresses already on a customer record are matched there first.
    """

    address = models.CharField(_("address"), max_length=254, unique=True)  # lower-cased
    # Empty only inside the transaction that claims the address and then creates its customer.
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 null=True, related_name="+")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("e-mail sender")
        verbose_name_plural = _("e-mail senders")

    def __str__(self):
        return self.address
