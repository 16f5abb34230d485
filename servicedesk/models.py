from django.conf import settings
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

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

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

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
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
