from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.models import Channel
from servicedesk.models import TimeStampedModel


class Ticket(TimeStampedModel):
    """A customer's request: inquiry, repair, complaint or suggestion (domain.md §3)."""

    class Kind(models.TextChoices):
        INQUIRY = "inquiry", _("Inquiry")
        REPAIR = "repair", _("Repair request")
        COMPLAINT = "complaint", _("Complaint")
        SUGGESTION = "suggestion", _("Suggestion")

    # Number prefixes per kind: SR-2026-000123, CP-2026-000045 (unique, sequential per kind+year).
    NUMBER_PREFIX = {
        Kind.INQUIRY: "IQ",
        Kind.REPAIR: "SR",
        Kind.COMPLAINT: "CP",
        Kind.SUGGESTION: "SG",
    }

    class Status(models.TextChoices):
        NEW = "new", _("New")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        IN_PROGRESS = "in_progress", _("In progress")
        WAITING = "waiting", _("Waiting on customer")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")
        REOPENED = "reopened", _("Reopened")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN_STATUSES = (Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.WAITING, Status.REOPENED)

    class Priority(models.IntegerChoices):
        # Integers so that "most urgent first" is a plain index-backed ORDER BY.
        URGENT = 0, _("Urgent")
        HIGH = 1, _("High")
        NORMAL = 2, _("Normal")
        LOW = 3, _("Low")

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.NEW)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices, default=Channel.PHONE)

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="tickets"
    )
    asset = models.ForeignKey(
        "customers.Asset",
        verbose_name=_("asset"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), max_length=20000, blank=True)

    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    team = models.ForeignKey(
        "servicedesk.Team", verbose_name=_("team"), on_delete=models.PROTECT, null=True, blank=True, related_name="tickets"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )

    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=500, blank=True)

    # Optimistic concurrency: every write bumps it; a form posted with an old value is refused.
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["-created_at"], name="ticket_created_idx"),
            models.Index(fields=["status", "-created_at"], name="ticket_status_idx"),
            models.Index(fields=["assignee", "status", "-created_at"], name="ticket_assignee_idx"),
            models.Index(fields=["team", "status", "-created_at"], name="ticket_team_idx"),
            models.Index(fields=["customer", "-created_at"], name="ticket_customer_idx"),
        ]

    def __str__(self):
        return f"{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class TicketCounter(models.Model):
    """The last number handed out per kind and year; locked row → gap-free under concurrency."""

    kind = models.CharField(max_length=12, choices=Ticket.Kind.choices)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "year"], name="ticketcounter_kind_year_uniq")]

    def __str__(self):
        return f"{self.kind} {self.year}: {self.last}"


class TicketEvent(models.Model):
    """One change on a ticket's timeline: who, what, when, before → after. Nothing changes without one."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text=_("Empty for changes made by the system (SLA timers, automations)."),
    )
    kind = models.CharField(_("kind"), max_length=30)
    field = models.CharField(_("field"), max_length=50, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("at"), db_index=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticketevent_ticket_idx")]

    def __str__(self):
        return f"{self.ticket_id} {self.kind}"
