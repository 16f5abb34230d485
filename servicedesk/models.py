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

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self):
        return str(self.user)


class Notification(models.Model):
    """An in-app message for one staff member (the bell in the navigation bar)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    message = models.CharField(_("message"), max_length=300)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

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
        ]

    def __str__(self):
        return self.message
