"""The customer's own door (issue 15): public site settings, status links, message templates, SMS codes.

Customers have no account. They reach their ticket through a signed status link (``TicketAccess``
holds the per-ticket secret that the link carries), and an online request is confirmed with a
one-time SMS code (``VerificationCode``).
"""
from django.conf import settings
from django.core.cache import cache
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
import datetime
import logging

logger = logging.getLogger(__name__)


def cache_get(key):
    """The cache is a speed-up here, never a dependency: Redis down means a query, not a failure."""
    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001 — any cache backend error
        logger.warning("cache unavailable reading %s", key)
        return None


def cache_set(key, value, timeout: int) -> None:
    try:
        cache.set(key, value, timeout)
    except Exception:  # noqa: BLE001
        logger.warning("cache unavailable writing %s", key)


def cache_forget(key) -> None:
    try:
        cache.delete(key)
    except Exception:  # noqa: BLE001
        logger.warning("cache unavailable: %s stays until it expires", key)


class PortalSettings(models.Model):
    """How the public pages present the department, and the rules of the customer door (one row)."""

    public_name = models.CharField(_("public name (Chinese)"), max_length=100, blank=True)
    public_name_en = models.CharField(_("public name (English)"), max_length=100, blank=True)
    hotline = models.CharField(_("hotline number"), max_length=32, blank=True)
    logo = models.FileField(_("logo"), upload_to="portal/", blank=True, help_text=_("PNG or JPEG, at most 1 MB."))
    link_valid_days = models.PositiveSmallIntegerField(
        _("status link valid after closing (days)"), default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("A customer's status link keeps working while the ticket is open and this many days after it closes."),
    )
    quiet_start = models.TimeField(_("quiet hours from"), default=datetime.time(21, 0),
                                   help_text=_("Non-urgent text messages written in quiet hours wait until they end."))
    quiet_end = models.TimeField(_("quiet hours until"), default=datetime.time(8, 0))
    requests_per_ip_hour = models.PositiveSmallIntegerField(
        _("online requests per address and hour"), default=5, validators=[MinValueValidator(1)])
    requests_per_mobile_day = models.PositiveSmallIntegerField(
        _("online requests per mobile and day"), default=5, validators=[MinValueValidator(1)])

    CACHE_KEY = "portal:settings:v1"

    class Meta:
        verbose_name = _("public pages settings")
        verbose_name_plural = _("public pages settings")

    def __str__(self):
        return str(_("Public pages settings"))

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        cache_forget(self.CACHE_KEY)

    @classmethod
    def current(cls) -> "PortalSettings":
        """The row, from the cache when possible (public pages and every message read it)."""
        obj = cache_get(cls.CACHE_KEY)
        if obj is None:
            obj, _created = cls.objects.get_or_create(pk=1)
            cache_set(cls.CACHE_KEY, obj, 300)
        return obj


class TicketAccess(models.Model):
    """The secret a ticket's status link carries. Made when the first link is; replaced to revoke links."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="portal_access",
                                  primary_key=True)
    nonce = models.CharField(max_length=32)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("status link")
        verbose_name_plural = _("status links")


class MessageEvent(models.TextChoices):
    """What happened to a ticket that a customer may be told about (issue 15 items 1 and 4)."""

    ACKNOWLEDGED = "ack", _("Request received (acknowledgement)")
    VISIT_BOOKED = "visit_booked", _("Technician assigned, with the visit window")
    VISIT_REMINDER = "visit_reminder", _("Visit reminder the evening before")
    WAITING = "waiting", _("Waiting for the customer")
    RESOLVED = "resolved", _("Resolved, with the result")


class MessageTemplate(models.Model):
    """A manager's wording for one event (and optionally one ticket kind) in both languages.

    Without a row the built-in default wording is used (portal/messages.py); ``enabled`` off means the
    event sends nothing for that kind. The acknowledgement is essential and always sent.
    """

    event = models.CharField(_("event"), max_length=20, choices=MessageEvent.choices)
    kind = models.CharField(_("ticket kind"), max_length=12, blank=True,
                            help_text=_("Empty: every kind without its own wording."))
    enabled = models.BooleanField(_("send this message"), default=True)
    text_zh = models.TextField(_("text (Chinese)"), max_length=1000)
    text_en = models.TextField(_("text (English)"), max_length=1000)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("customer message template")
        verbose_name_plural = _("customer message templates")
        constraints = [models.UniqueConstraint(fields=["event", "kind"], name="portal_template_event_kind_uniq")]
        permissions = [("manage_portal", _("Can edit the public pages and customer messages"))]

    CACHE_KEY = "portal:templates:v1"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        cache_forget(self.CACHE_KEY)

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        cache_forget(self.CACHE_KEY)
        return result

    @classmethod
    def all_cached(cls) -> list["MessageTemplate"]:
        """Every row (a few dozen at most): read once per five minutes, not once per message."""
        rows = cache_get(cls.CACHE_KEY)
        if rows is None:
            rows = list(cls.objects.all())
            cache_set(cls.CACHE_KEY, rows, 300)
        return rows


class VerificationCode(models.Model):
    """A one-time code texted to a mobile to confirm an online request (stored hashed)."""

    mobile = models.CharField(_("mobile"), max_length=20)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    MAX_ATTEMPTS = 5

    class Meta:
        verbose_name = _("SMS code")
        verbose_name_plural = _("SMS codes")
        indexes = [models.Index(fields=["mobile", "created_at"], name="portal_code_mobile_idx")]


class VisitReminder(models.Model):
    """One row per work order reminded: the unique key makes the evening reminder exactly once."""

    work_order = models.OneToOneField("dispatch.WorkOrder", on_delete=models.CASCADE, related_name="+",
                                      primary_key=True)
    sent_at = models.DateTimeField()

    class Meta:
        verbose_name = _("visit reminder")
        verbose_name_plural = _("visit reminders")
