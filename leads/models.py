"""A request that did not become business, with its outcome and its two confirmations (issue 17 item 8)."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _, pgettext_lazy


class LeadOutcome(models.Model):
    """One per ticket. Recording it is the handler's (first) confirmation and moves the ticket out of the
    open work through tickets' state machine; it counts in the loss analysis only once a manager (their team's
    supervisor or a manager, never the handler) confirms it a second time."""

    class Outcome(models.TextChoices):
        INVALID = "invalid", _("Invalid lead")
        LOST = "lost", _("Lost lead")

    class Reason(models.TextChoices):
        # invalid
        FALSE_INFO = "false_info", _("False information")
        NOT_PLANNING = "not_planning", _("No longer planning")
        BELOW_TARGET = "below_target", _("Below the target range")
        INVALID_OTHER = "invalid_other", pgettext_lazy("invalid lead reason", "Other")
        # lost
        PRICE = "price", pgettext_lazy("lost lead reason", "Price")
        SERVICE = "service", pgettext_lazy("lost lead reason", "Service")
        TECHNICAL = "technical", pgettext_lazy("lost lead reason", "Technical")
        COMPETITOR = "competitor", pgettext_lazy("lost lead reason", "Competitor")
        CUSTOMER = "customer", pgettext_lazy("lost lead reason", "Customer")
        LOST_OTHER = "lost_other", pgettext_lazy("lost lead reason", "Other")

    REASONS_BY_OUTCOME = {
        Outcome.INVALID: (Reason.FALSE_INFO, Reason.NOT_PLANNING, Reason.BELOW_TARGET, Reason.INVALID_OTHER),
        Outcome.LOST: (Reason.PRICE, Reason.SERVICE, Reason.TECHNICAL, Reason.COMPETITOR, Reason.CUSTOMER,
                       Reason.LOST_OTHER),
    }

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for the manager")
        RETURNED = "returned", _("Sent back")
        CONFIRMED = "confirmed", _("Confirmed")
        # The ticket came back to life (reopened): the request is live again, so the outcome no longer counts.
        # Kept with its history (LeadEvent "voided"); a new outcome may be recorded if it ends again.
        VOIDED = "voided", _("Voided: the ticket was reopened")

    ticket = models.OneToOneField("tickets.Ticket", verbose_name=_("ticket"), on_delete=models.PROTECT,
                                  related_name="lead_outcome")
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    customer_words = models.TextField(_("the customer's own words"), max_length=2000)
    product = models.CharField(_("product"), max_length=120, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"))
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+")
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    returned_reason = models.CharField(_("why it was sent back"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("lead outcome")
        verbose_name_plural = _("lead outcomes")
        permissions = [
            ("record_lead", _("Can record a lost or invalid lead")),
            ("confirm_lead", _("Can confirm lost and invalid leads (second confirmation)")),
            ("view_loss_analysis", _("Can see the loss analysis")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(outcome="invalid", reason__in=["false_info", "not_planning", "below_target",
                                                                   "invalid_other"])
                           | models.Q(outcome="lost", reason__in=["price", "service", "technical", "competitor",
                                                                  "customer", "lost_other"])),
                name="leadoutcome_reason_fits_outcome"),
            # The two confirmations are two people, and a confirmed row says who and when.
            models.CheckConstraint(
                condition=~models.Q(state="confirmed") | models.Q(confirmed_by__isnull=False, confirmed_at__isnull=False),
                name="leadoutcome_confirmed_has_confirmer"),
            models.CheckConstraint(condition=~models.Q(confirmed_by=models.F("recorded_by")),
                                   name="leadoutcome_two_people"),
        ]
        indexes = [
            # the loss analysis reads confirmed rows by month of confirmation
            models.Index(fields=["state", "confirmed_at"], name="leadoutcome_state_conf_idx"),
            # "to confirm": pending rows, oldest first
            models.Index(fields=["state", "recorded_at"], name="leadoutcome_state_rec_idx"),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.get_outcome_display()} · {self.get_reason_display()}"


class LeadEvent(models.Model):
    """The outcome's history: recorded, returned, resubmitted, confirmed (who, when, before → after)."""

    outcome = models.ForeignKey(LeadOutcome, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=20)
    # None: the system (e.g. a ticket reopened by an unsatisfied callback outcome voids the lead outcome)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    at = models.DateTimeField(_("at"))
    detail = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("lead event")
        verbose_name_plural = _("lead events")
