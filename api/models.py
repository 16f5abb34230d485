"""Tokens for the integrations that call the REST API, and the log of every call (issue 16 item 2)."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    """What a token may do. A fixed set: each endpoint names the one scope it needs (api/views.py)."""

    CUSTOMERS_READ = "customers:read", _("Read customers (lookup by phone)")
    CUSTOMERS_WRITE = "customers:write", _("Create customers")
    CONTACTS_WRITE = "contacts:write", _("Log contacts (calls)")
    TICKETS_READ = "tickets:read", _("Read tickets")
    TICKETS_WRITE = "tickets:write", _("Create tickets, reply to customers, change status")
    WORKORDERS_READ = "workorders:read", _("Read work orders")
    CALLS_WRITE = "calls:write", _("Phone system: ringing and ended calls")


def _default_rate_limit():
    return settings.API_RATE_LIMIT_PER_MINUTE


class ApiToken(models.Model):
    """One integration's credential. Only the SHA-256 of the secret is stored; the secret is shown once.

    Every call acts as `acting_user`, a per-token system account (no password, not active, so it
    can never sign in) named after the integration: ticket events, replies, contacts and customers
    created through the API show that account, so the timeline says which integration did it.
    """

    name = models.CharField(_("integration"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    rate_limit_per_minute = models.PositiveIntegerField(_("requests per minute"), default=_default_rate_limit)
    acting_user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("acts as"), on_delete=models.PROTECT,
                                       related_name="api_token", editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        permissions = [("manage_tokens", _("Can create and revoke API tokens"))]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])


class ApiCallLog(models.Model):
    """One row per API request (one INSERT, no foreign-key lookups): who, what, when, how it ended."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, null=True, blank=True, related_name="calls")
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    status_code = models.PositiveSmallIntegerField()
    at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    client_ip = models.CharField(max_length=45, blank=True)

    class Meta:
        verbose_name = _("API call")
        verbose_name_plural = _("API calls")
        indexes = [
            # The manager's page: one token's recent calls, newest first (api.selectors.token_calls).
            models.Index(fields=["token", "-id"], name="api_call_token_idx"),
            # Pruning old rows.
            models.Index(fields=["at"], name="api_call_at_idx"),
        ]
