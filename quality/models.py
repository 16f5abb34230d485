"""Service quality: front-desk demerit slips (过失单) and daily quality inspection (issue 18, item 3).

Both feed the monthly assessment score through selectors.deductions_by_person(): a slip's points and a
finding's points are subtracted, unless the slip was withdrawn or the finding overturned on review.
Nothing is ever deleted: withdrawals, overturns, acknowledgements and responses are logged in QualityEvent.
"""
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from servicedesk.lookups import BilingualName, english_name_field, unique_english_name

POINTS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]
MONEY = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100000"))]


class DemeritCategory(BilingualName, models.Model):
    """What a slip is for, with the manager's default deduction and fine (domain: front-desk demerits)."""

    name = models.CharField(_("Chinese name"), max_length=100, unique=True)
    name_en = english_name_field(100)
    default_points = models.DecimalField(_("default deduction (points)"), max_digits=5, decimal_places=1,
                                         default=Decimal("1"), validators=POINTS)
    default_fine = models.DecimalField(_("default fine (CNY)"), max_digits=8, decimal_places=2,
                                       default=Decimal("0"), validators=MONEY)
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("demerit category")
        verbose_name_plural = _("demerit categories")
        constraints = [unique_english_name("demeritcategory")]


def evidence_path(instance, filename):
    return f"quality/slips/{instance.person_id}/{filename}"


class DemeritSlip(models.Model):
    """过失单: one failing by one person, recorded by a supervisor or manager, acknowledged by the person."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT,
                               related_name="demerit_slips")
    category = models.ForeignKey(DemeritCategory, verbose_name=_("category"), on_delete=models.PROTECT,
                                 related_name="slips")
    description = models.TextField(_("what happened"), max_length=2000)
    occurred_at = models.DateTimeField(_("when"))
    evidence = models.FileField(_("evidence photo"), upload_to=evidence_path, max_length=300, blank=True)
    evidence_name = models.CharField(_("file name"), max_length=200, blank=True)
    evidence_type = models.CharField(_("type"), max_length=100, blank=True)
    points = models.DecimalField(_("deduction (points)"), max_digits=5, decimal_places=1, validators=POINTS)
    fine = models.DecimalField(_("fine (CNY)"), max_digits=8, decimal_places=2, default=Decimal("0"),
                               validators=MONEY)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"),
                                    on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    response = models.TextField(_("response"), max_length=2000, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("withdrawn by"),
                                     on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    withdraw_reason = models.CharField(_("reason for withdrawal"), max_length=500, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("demerit slip")
        verbose_name_plural = _("demerit slips")
        permissions = [
            ("withdraw_demeritslip", _("Can withdraw a demerit slip")),
            ("view_team_quality", _("Can see the slips and findings of their team")),
            ("view_all_quality", _("Can see everyone's slips and findings")),
            ("inspect", _("Can inspect service quality")),
            ("overturn_finding", _("Can overturn an inspection finding")),
        ]
        indexes = [
            # deductions_by_person(): the month's standing slips, grouped by person.
            models.Index(fields=["occurred_at", "person"], condition=Q(withdrawn_at__isnull=True),
                         name="slip_standing_idx"),
            models.Index(fields=["person", "-occurred_at"], name="slip_person_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(points__gte=0, fine__gte=0), name="slip_amounts_not_negative"),
            models.CheckConstraint(condition=Q(withdrawn_at__isnull=True) | ~Q(withdraw_reason=""),
                                   name="slip_withdrawal_has_reason"),
        ]

    def __str__(self):
        return f"{self.category} · {self.occurred_at:%Y-%m-%d}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class ChecklistItem(BilingualName, models.Model):
    """One line of the service-quality checklist inspectors fill for each sampled item."""

    name = models.CharField(_("Chinese name"), max_length=200, unique=True)
    name_en = english_name_field(200)
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        constraints = [unique_english_name("checklistitem")]


class SeverityLevel(BilingualName, models.Model):
    """Light / medium / heavy, each with the penalty in points a finding of that level costs."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("Chinese name"), max_length=50, unique=True)
    name_en = english_name_field(50)
    points = models.DecimalField(_("penalty (points)"), max_digits=5, decimal_places=1, validators=POINTS)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("severity level")
        verbose_name_plural = _("severity levels")
        constraints = [unique_english_name("severitylevel")]


class DailySample(models.Model):
    """The work of one local day picked for inspection. The unique day makes the pick exactly once."""

    day = models.DateField(_("day of the work"), unique=True)
    created_at = models.DateTimeField(_("created at"))
    size = models.PositiveIntegerField(_("items"), default=0)

    class Meta:
        ordering = ["-day"]
        verbose_name = _("daily sample")
        verbose_name_plural = _("daily samples")

    def __str__(self):
        return f"{self.day:%Y-%m-%d}"


class InspectionTask(models.Model):
    """One sampled ticket, contact or work order to inspect against the checklist."""

    class Kind(models.TextChoices):
        TICKET = "ticket", _("Ticket")
        CONTACT = "contact", _("Contact")
        WORK_ORDER = "work_order", _("Work order")

    class Reason(models.TextChoices):
        RANDOM = "random", _("Random pick")
        LOW_SCORE = "low_score", _("Low survey score")
        COMPLAINT = "complaint", _("Complaint")

    class Status(models.TextChoices):
        PENDING = "pending", _("To inspect")
        DONE = "done", _("Inspected")

    sample = models.ForeignKey(DailySample, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    reason = models.CharField(_("why sampled"), max_length=12, choices=Reason.choices)
    ticket = models.ForeignKey("tickets.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, null=True,
                               blank=True, related_name="+")
    contact = models.ForeignKey("customers.Contact", verbose_name=_("contact"), on_delete=models.CASCADE,
                                null=True, blank=True, related_name="+")
    work_order = models.ForeignKey("dispatch.WorkOrder", verbose_name=_("work order"), on_delete=models.CASCADE,
                                   null=True, blank=True, related_name="+")
    # The person responsible: ticket assignee / contact handler / technician.
    person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person inspected"),
                               on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    occurred_at = models.DateTimeField(_("work done at"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("inspector"), on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+")
    inspected_at = models.DateTimeField(_("inspected at"), null=True, blank=True)
    note = models.TextField(_("inspector's note"), max_length=2000, blank=True)

    class Meta:
        ordering = ["status", "reason", "id"]
        verbose_name = _("inspection task")
        verbose_name_plural = _("inspection tasks")
        constraints = [
            models.UniqueConstraint(fields=["sample", "ticket"], condition=Q(ticket__isnull=False),
                                    name="inspection_one_per_ticket"),
            models.UniqueConstraint(fields=["sample", "contact"], condition=Q(contact__isnull=False),
                                    name="inspection_one_per_contact"),
            models.UniqueConstraint(fields=["sample", "work_order"], condition=Q(work_order__isnull=False),
                                    name="inspection_one_per_workorder"),
            models.CheckConstraint(
                condition=(Q(kind="ticket", ticket__isnull=False, contact__isnull=True, work_order__isnull=True)
                           | Q(kind="contact", ticket__isnull=True, contact__isnull=False, work_order__isnull=True)
                           | Q(kind="work_order", ticket__isnull=True, contact__isnull=True,
                               work_order__isnull=False)),
                name="inspection_one_subject"),
        ]
        indexes = [models.Index(fields=["sample", "status", "id"], name="inspection_queue_idx")]

    def __str__(self):
        subject = self.ticket or self.contact or self.work_order
        return f"{self.get_kind_display()} {subject}"

    @property
    def subject_label(self) -> str:
        if self.ticket_id:
            return f"{self.ticket.number} · {self.ticket.subject}"
        if self.work_order_id:
            return self.work_order.number
        return str(self.contact)


class Finding(models.Model):
    """A checklist item an inspected item failed, with its severity and the penalty it carries."""

    task = models.ForeignKey(InspectionTask, on_delete=models.PROTECT, related_name="findings")
    item = models.ForeignKey(ChecklistItem, verbose_name=_("checklist item"), on_delete=models.PROTECT,
                             related_name="+")
    severity = models.ForeignKey(SeverityLevel, verbose_name=_("severity"), on_delete=models.PROTECT,
                                 related_name="+")
    # Copied at the time: a later change of a level's penalty does not rewrite past months.
    points = models.DecimalField(_("penalty (points)"), max_digits=5, decimal_places=1, validators=POINTS)
    note = models.CharField(_("note"), max_length=1000, blank=True)
    person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person inspected"),
                               on_delete=models.PROTECT, related_name="quality_findings")
    # When the inspected work was done: the month it counts in.
    occurred_at = models.DateTimeField(_("work done at"))
    found_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("inspector"), on_delete=models.PROTECT,
                                 related_name="+")
    found_at = models.DateTimeField(_("inspected at"))
    response = models.TextField(_("response"), max_length=2000, blank=True)
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    overturned_at = models.DateTimeField(_("overturned at"), null=True, blank=True)
    overturned_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("overturned by"),
                                      on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    overturn_reason = models.CharField(_("reason for overturning"), max_length=500, blank=True)

    class Meta:
        ordering = ["-found_at", "-id"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        indexes = [
            # deductions_by_person(): the month's standing findings, grouped by person.
            models.Index(fields=["occurred_at", "person"], condition=Q(overturned_at__isnull=True),
                         name="finding_standing_idx"),
            models.Index(fields=["person", "-found_at"], name="finding_person_idx"),
            models.Index(fields=["-found_at", "-id"], name="finding_list_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["task", "item"], name="finding_one_per_item"),
            models.CheckConstraint(condition=Q(points__gte=0), name="finding_points_not_negative"),
            models.CheckConstraint(condition=Q(overturned_at__isnull=True) | ~Q(overturn_reason=""),
                                   name="finding_overturn_has_reason"),
        ]

    def __str__(self):
        return f"{self.item} · {self.severity}"

    @property
    def is_overturned(self) -> bool:
        return self.overturned_at is not None


class QualityEvent(models.Model):
    """Who did what to a slip or a finding, when, before → after (实名制)."""

    class Kind(models.TextChoices):
        SLIP_RECORDED = "slip_recorded", _("Slip recorded")
        SLIP_ACKNOWLEDGED = "slip_acknowledged", _("Slip acknowledged")
        SLIP_WITHDRAWN = "slip_withdrawn", _("Slip withdrawn")
        SAMPLE_CREATED = "sample_created", _("Daily sample picked")
        INSPECTED = "inspected", _("Inspected")
        FINDING_RESPONDED = "finding_responded", _("Response to a finding")
        FINDING_OVERTURNED = "finding_overturned", _("Finding overturned")

    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+")
    at = models.DateTimeField(_("at"))
    slip = models.ForeignKey(DemeritSlip, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    task = models.ForeignKey(InspectionTask, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("quality event")
        verbose_name_plural = _("quality events")

    def __str__(self):
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"
