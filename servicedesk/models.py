from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .lookups import BilingualName, english_name_field, unique_english_name


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class Team(BilingualName, TimeStampedModel):
    """A group of agents that share a queue (e.g. 维修组 / "Repairs", 投诉组 / "Complaints")."""

    name = models.CharField(_("Chinese name"), max_length=100, unique=True)
    name_en = english_name_field(100)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervisor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supervised_teams",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [unique_english_name("team")]


class StaffProfile(TimeStampedModel):
    """What the department needs to know about a staff member beyond Django's User."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.SET_NULL, null=True, blank=True, related_name="members"
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    # The language this person reads: set by the language switch in the top bar, activated at login,
    # and used for everything written to them later (bell, e-mail, digests, report e-mails).
    # Blank = the site default (settings.LANGUAGE_CODE).
    language = models.CharField(_("language"), max_length=10, blank=True, choices=settings.LANGUAGES)
    # The desk phone's extension: the phone system's "ringing at 8001" pops the caller's card for
    # whoever has 8001 here (telephony app). Blank = no pop-ups. One person per extension.
    extension = models.CharField(
        _("phone extension"), max_length=20, blank=True,
        validators=[RegexValidator(r"^[0-9*#]{1,20}$", _("Digits only, as the phone system numbers the desk phones."))],
        help_text=_("The desk phone's extension, e.g. 8001. Incoming calls to it show the caller's card."),
    )

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")
        constraints = [
            models.UniqueConstraint(fields=["extension"], condition=~models.Q(extension=""),
                                    name="staffprofile_extension_unique",
                                    violation_error_message=_("Another person already has this extension.")),
        ]

    def __str__(self):
        return str(self.user)


class NotificationChannel(models.TextChoices):
    """How a person wants one kind of notification (servicedesk/preferences.py)."""

    BELL = "bell", _("Bell only")
    EMAIL = "email", _("E-mail only")
    BOTH = "both", _("Bell and e-mail")
    DIGEST = "digest", _("Daily digest e-mail")


class Notification(models.Model):
    """An in-app message for one staff member (the bell in the navigation bar).

    The message is rendered once, in the recipient's language, when the row is written. `channel`
    is what the recipient's preference decided for its `kind`: only bell/both rows show under the
    bell; digest rows wait for the daily digest (digested_at). `group` gathers the entries about
    one thing (e.g. "ticket:42") into one line of the bell.
    """

    Channel = NotificationChannel

    recipient = models.ForeignKey(  # no index of its own: notif_recipient_idx leads with it (servicedesk 0011)
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient"),
        db_index=False,
    )
    message = models.CharField(_("message"), max_length=300)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=40, blank=True)
    group = models.CharField(_("about"), max_length=100, blank=True)
    channel = models.CharField(_("delivered by"), max_length=10, choices=NotificationChannel.choices,
                               default=NotificationChannel.BOTH)
    digested_at = models.DateTimeField(_("sent in digest at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # The bell counts unread rows per user on every page: a partial index keeps it O(unread).
            models.Index(
                fields=["recipient", "-created_at"], condition=models.Q(read_at__isnull=True), name="notif_unread_idx"
            ),
            models.Index(fields=["recipient", "-created_at"], name="notif_recipient_idx"),
            # The daily digest finds each person's waiting digest rows.
            models.Index(fields=["recipient", "created_at"], condition=models.Q(channel="digest", digested_at__isnull=True),
                         name="notif_digest_due_idx"),
        ]

    def __str__(self):
        return self.message


class NotificationPreference(models.Model):
    """One person's choice for one kind of notification; no row = their role's default."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences")
    kind = models.CharField(_("kind"), max_length=40)
    channel = models.CharField(_("delivered by"), max_length=10, choices=NotificationChannel.choices)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notif_pref_once_per_kind"),
            models.CheckConstraint(condition=models.Q(channel__in=NotificationChannel.values), name="notif_pref_channel_valid"),
        ]

    def __str__(self):
        return f"{self.user_id} {self.kind}: {self.channel}"


class NotificationDigest(models.Model):
    """One daily digest e-mail to one person: unique per (user, day), so it goes once a day."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    count = models.PositiveIntegerField(_("notifications"), default=0)
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        verbose_name = _("notification digest")
        verbose_name_plural = _("notification digests")
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="notif_digest_once_per_day")]

    def __str__(self):
        return f"{self.user_id} {self.day}"


class OutboxMessage(models.Model):
    """One message that must leave the database (e-mail, SMS or webhook), written in the transaction of its cause.

    The transactional outbox (README "Outbox"): the row is the promise, Celery only makes it faster.
    A task queued on commit delivers it at once; the outbox sweep delivers anything still due (the
    broker was down, the process died, a worker crashed mid-send). Both go through
    servicedesk.outbox.outbox_deliver, which claims rows by compare-and-set with a lease, sends, and
    marks them with the claim token, so a message is sent once per claim, and re-sent only if the
    claimant died before marking it (the idempotency key travels with every send so the receiving
    side can drop that rare duplicate).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Undeliverable")

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")
        WEBHOOK = "webhook", _("Webhook")  # `to` is the webhooks.Webhook id; body the JSON payload

    kind = models.CharField(_("kind"), max_length=40)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    to = models.CharField(_("to"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    html = models.TextField(blank=True)
    # What caused it, e.g. ("tickets.ticketreply", 12): the source's page shows the delivery state.
    source_type = models.CharField(max_length=40, blank=True)
    source_id = models.BigIntegerField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=64, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Pending: when to try (now, or after a back-off). Sending: when the claim's lease runs out.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        indexes = [
            # The sweep: due rows only (pending, or sending with an expired lease). One index probe idle.
            models.Index(fields=["next_attempt_at"], name="outbox_due_idx",
                         condition=models.Q(status__in=["pending", "sending"])),
            # /healthz: the oldest message not yet delivered.
            models.Index(fields=["created_at"], name="outbox_undelivered_idx",
                         condition=models.Q(status__in=["pending", "sending"])),
            # The manager's "undeliverable messages" page.
            models.Index(fields=["-created_at"], name="outbox_failed_idx", condition=models.Q(status="failed")),
            # A ticket's timeline shows each reply's delivery state.
            models.Index(fields=["source_type", "source_id"], name="outbox_source_idx"),
        ]
        constraints = [
            # One message per cause (a reply, a survey invitation, a report delivery, a bell entry): the
            # source's delivery badge follows exactly one row, and a cause written twice by a retry or
            # a second worker cannot send the customer a second copy. Retrying reuses the row.
            models.UniqueConstraint(fields=["source_type", "source_id"], condition=models.Q(source_id__isnull=False),
                                    name="outbox_one_message_per_source"),
            # Choices alone do not constrain data: an unknown channel would be tried (and fail) eight
            # times before anyone saw it; an unknown status would never be swept nor shown as failed.
            models.CheckConstraint(condition=models.Q(channel__in=["email", "sms", "webhook"]),
                                   name="outbox_channel_valid"),
            models.CheckConstraint(condition=models.Q(status__in=["pending", "sending", "sent", "failed"]),
                                   name="outbox_status_valid"),
        ]

    def __str__(self):
        return f"{self.kind} → {self.to}"

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))


# What each kind of outbox message is, in the department's words (the manager's list shows it).
KIND_LABELS = {
    "notification.email": _("Staff notification"),
    "notification.digest": _("Daily digest"),
    "ticket.reply": _("Reply to a customer"),
    "survey.link": _("Survey link"),
    "report.email": _("Scheduled report"),
    "account.password_reset": _("Password reset link"),
}


class PeriodicJob(models.Model):
    """The last scheduled slot each periodic job ran for: a compare-and-set on it makes a second beat
    (or a catch-up burst) a no-op, and its time is the "last run" /healthz reports."""

    name = models.CharField(max_length=80, unique=True)
    last_slot = models.DateTimeField(null=True, blank=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    runs = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("periodic job")
        verbose_name_plural = _("periodic jobs")

    def __str__(self):
        return self.name


class BenchDatabase(models.Model):
    """Written by the first bench_* command on an empty database: from then on it is a bench database.

    Benchmarks bulk-insert hundreds of thousands of rows (and some delete theirs to rebuild): they run
    only where this row exists, or on a database with no business data yet (servicedesk/bench.py).
    """

    command = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"bench database since {self.created_at:%Y-%m-%d} ({self.command})"
