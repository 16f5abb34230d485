"""Planned maintenance (issue 17 §6): plans per customer (a site, some assets) and one visit per occurrence."""
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from servicedesk.models import TimeStampedModel

from . import schedule


class MaintenancePlan(TimeStampedModel):
    class Kind(models.TextChoices):
        EVERY_N_MONTHS = schedule.EVERY_N_MONTHS, _("Every N months")
        QUARTERLY = schedule.QUARTERLY, _("Quarterly")
        SEASONAL = schedule.SEASONAL, _("Fixed dates every year")

    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="maintenance_plans")
    title = models.CharField(_("title"), max_length=200)
    site = models.CharField(_("site address"), max_length=300, blank=True,
                            help_text=_("Leave empty to visit the customer's own address."))
    assets = models.ManyToManyField("customers.Asset", verbose_name=_("assets"), blank=True, related_name="+")
    kind = models.CharField(_("schedule"), max_length=10, choices=Kind.choices, default=Kind.EVERY_N_MONTHS)
    interval_months = models.PositiveSmallIntegerField(
        _("every how many months"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(60)])
    # Seasonal plans: [[month, day], …] sorted; e.g. [[5, 20]] = before the summer peak.
    month_days = models.JSONField(_("dates every year"), default=list, blank=True)
    start_on = models.DateField(_("first visit on or after"))
    checklist = models.TextField(_("checklist"), help_text=_("One item per line, in the order of the visit."))
    # Dispatch matches one skill per work order: the plan's main skill; the others are written on the order.
    skill = models.ForeignKey("dispatch.Skill", verbose_name=_("main skill"), on_delete=models.PROTECT, related_name="+")
    other_skills = models.ManyToManyField("dispatch.Skill", verbose_name=_("other skills needed"), blank=True,
                                          related_name="+")
    estimated_value = models.DecimalField(
        _("estimated value (CNY)"), max_digits=12, decimal_places=2, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Decides the job's value tier, and so which technician levels may take it."))
    active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    # The next occurrence that has no visit row yet; the sweep probes it (maintenance_plan_due_idx).
    next_due_on = models.DateField(_("next visit"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["next_due_on", "pk"]
        verbose_name = _("maintenance plan")
        verbose_name_plural = _("maintenance plans")
        indexes = [
            # The visit sweep: active plans whose next occurrence is within the lead time, earliest first.
            models.Index(fields=["next_due_on", "id"], condition=models.Q(active=True), name="maint_plan_due_idx"),
            # The plans list filtered by customer.
            models.Index(fields=["customer", "next_due_on"], name="maint_plan_customer_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="months") | models.Q(interval_months__gte=1),
                name="maint_plan_months_interval"),
        ]

    def __str__(self):
        return self.title

    def checklist_items(self) -> list[str]:
        return [line.strip() for line in self.checklist.splitlines() if line.strip()]

    def next_after(self, after: date | None) -> date:
        return schedule.next_occurrence(kind=self.kind, start_on=self.start_on, after=after,
                                        interval_months=self.interval_months, month_days=self.month_days)

    def month_days_text(self) -> str:
        return ", ".join(f"{m:02d}-{d:02d}" for m, d in self.month_days or [])


class MaintenanceVisit(models.Model):
    """One occurrence of a plan: created once (plan, due_on) by the sweep, lead-time days ahead."""

    class Status(models.TextChoices):
        ORDERED = "ordered", pgettext_lazy("maintenance visit", "Work order created")
        MISSED = "missed", pgettext_lazy("maintenance visit", "Missed (found after its date)")
        FAILED = "failed", pgettext_lazy("maintenance visit", "No work order (see the problem)")

    plan = models.ForeignKey(MaintenancePlan, on_delete=models.CASCADE, related_name="visits")
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    work_order = models.OneToOneField("dispatch.WorkOrder", on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="maintenance_visit")
    problem = models.CharField(_("problem"), max_length=300, blank=True)
    created_at = models.DateTimeField()
    # The day after due_on until the escalation sweep has looked at it; cleared then (escalated or done).
    escalate_on = models.DateField(null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)

    class Meta:
        ordering = ["-due_on", "-pk"]
        verbose_name = _("maintenance visit")
        verbose_name_plural = _("maintenance visits")
        constraints = [
            models.UniqueConstraint(fields=["plan", "due_on"], name="maint_visit_once_per_occurrence"),
        ]
        indexes = [
            # The missed-visit sweep: visits not yet looked at after their date, earliest first.
            models.Index(fields=["escalate_on", "id"], condition=models.Q(escalate_on__isnull=False),
                         name="maint_visit_escalate_idx"),
        ]

    def __str__(self):
        return f"{self.plan} · {self.due_on:%Y-%m-%d}"
