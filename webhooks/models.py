"""Outbound webhooks (issue 16 item 4): a manager's registered URLs and the log of every delivery attempt.

The deliveries themselves are outbox rows (servicedesk.OutboxMessage, channel "webhook"); this app
only says where they go (Webhook) and what happened to each attempt (WebhookDelivery).
"""
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from servicedesk.shared_memo import changes_queryset


def _subscriptions_memo():
    from .services import SUBSCRIPTIONS

    return SUBSCRIPTIONS


class Event(models.TextChoices):
    TICKET_OPENED = "ticket.opened", _("Ticket opened")
    TICKET_STATUS_CHANGED = "ticket.status_changed", _("Ticket status changed")
    SLA_BREACHED = "sla.breached", _("SLA breached")
    WORKORDER_CLOSED = "workorder.closed", _("Work order closed")
    SURVEY_ANSWERED = "survey.answered", _("Survey answered")


# Sent by "send test event" only; no webhook subscribes to it.
TEST_EVENT = "webhook.test"


def new_secret() -> str:
    """256 random bits, URL-safe: the HMAC key the receiver shares with us."""
    return "whsec_" + secrets.token_urlsafe(32)


class Webhook(models.Model):
    objects = changes_queryset(_subscriptions_memo).as_manager()  # bulk writes renew services.SUBSCRIPTIONS

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500, help_text=_("http:// or https:// address that receives a POST per event."))
    # Space-separated event codes (Event). A plain column works the same on SQLite and PostgreSQL; the
    # receivers read every active webhook in one query and pick the subscribed ones in Python (a
    # department registers a handful).
    events = models.CharField(_("events"), max_length=200)
    secret = models.CharField(_("signing secret"), max_length=80, default=new_secret)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    secret_rotated_at = models.DateTimeField(_("secret rotated at"), null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        permissions = [("manage_webhooks", _("Can register and manage webhooks"))]
        indexes = [
            # The receivers: "active webhooks" on every ticket opened / status change.
            models.Index(fields=["active"], name="webhook_active_idx", condition=models.Q(active=True)),
        ]

    def __str__(self):
        return self.name

    @property
    def event_list(self) -> list[str]:
        return self.events.split()

    def event_labels(self) -> list[str]:
        labels = dict(Event.choices)
        return [str(labels.get(code, code)) for code in self.event_list]


class WebhookDelivery(models.Model):
    """One attempt to deliver one event to one webhook (or a manager's replay request), for the log page."""

    webhook = models.ForeignKey(Webhook, on_delete=models.SET_NULL, null=True, related_name="deliveries",
                                verbose_name=_("webhook"))
    message = models.ForeignKey("servicedesk.OutboxMessage", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("outgoing message"))
    delivery_id = models.CharField(_("delivery id"), max_length=64)
    event = models.CharField(_("event"), max_length=40)
    attempt = models.PositiveSmallIntegerField(_("attempt"))  # 0: a replay was requested (no HTTP yet)
    status_code = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_excerpt = models.CharField(_("response"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    replay_of = models.CharField(_("replay of"), max_length=64, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("requested by"))
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            # The per-webhook deliveries log, newest first.
            models.Index(fields=["webhook", "-at", "-id"], name="webhook_delivery_log_idx"),
        ]

    def __str__(self):
        return f"{self.event} → {self.webhook_id} #{self.attempt}"

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
