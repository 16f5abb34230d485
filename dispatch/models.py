"""Field dispatch (domain.md §5): work orders, technicians, offers, escalations, spare parts."""
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from servicedesk.lookups import BilingualName, english_name_field, unique_english_name


class Level(models.TextChoices):
    JUNIOR = "junior", _("Junior")
    SENIOR = "senior", _("Senior")
    CHIEF = "chief", _("Chief")


class ValueTier(models.TextChoices):
    SMALL = "small", _("Small")
    MEDIUM = "medium", _("Medium")
    LARGE = "large", _("Large")


def _levels_default_small():
    return [Level.JUNIOR, Level.SENIOR, Level.CHIEF]


def _levels_default_medium():
    return [Level.SENIOR, Level.CHIEF]


def _levels_default_large():
    return [Level.CHIEF]


class DispatchSettings(models.Model):
    """The manager's dispatch rules: one row (pk=1), edited in the admin. Defaults are domain.md §5's."""

    daily_cap = models.PositiveSmallIntegerField(_("new jobs per technician per day"), default=2)
    weekly_cap = models.PositiveSmallIntegerField(_("new jobs per technician per week"), default=6)
    open_cap_off_season = models.PositiveSmallIntegerField(_("open jobs cap, off-season"), default=2)
    open_cap_peak = models.PositiveSmallIntegerField(_("open jobs cap, peak season"), default=4)
    offer_timeout_minutes = models.PositiveSmallIntegerField(
        _("offer timeout (minutes)"), default=30, validators=[MinValueValidator(1)]
    )
    medium_threshold = models.DecimalField(
        _("medium job from (CNY)"), max_digits=12, decimal_places=2, default=Decimal("30000")
    )
    large_threshold = models.DecimalField(
        _("large job above (CNY)"), max_digits=12, decimal_places=2, default=Decimal("50000")
    )
    small_levels = models.JSONField(_("levels serving small jobs"), default=_levels_default_small)
    medium_levels = models.JSONField(_("levels serving medium jobs"), default=_levels_default_medium)
    large_levels = models.JSONField(_("levels serving large jobs"), default=_levels_default_large)
    default_resolution_hours = models.PositiveSmallIntegerField(
        _("resolution deadline when the SLA gives none (hours)"), default=48
    )

    class Meta:
        verbose_name = _("dispatch settings")
        verbose_name_plural = _("dispatch settings")
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="dispatchsettings_single_row"),
            models.CheckConstraint(
                condition=models.Q(large_threshold__gte=models.F("medium_threshold")),
                name="dispatchsettings_thresholds_ordered",
            ),
        ]

    def __str__(self):
        return str(_("Dispatch settings"))

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = {}
        for field in ("small_levels", "medium_levels", "large_levels"):
            value = getattr(self, field)
            if not isinstance(value, list) or not value or not set(value) <= set(Level.values):
                errors[field] = _("Choose at least one of: junior, senior, chief.")
        if self.large_threshold is not None and self.medium_threshold is not None \
                and self.large_threshold < self.medium_threshold:
            errors["large_threshold"] = _("The large-job threshold cannot be below the medium one.")
        if errors:
            raise ValidationError(errors)

    @classmethod
    def load(cls) -> "DispatchSettings":
        obj, _created = cls.objects.prefetch_related("peak_seasons").get_or_create(pk=1)
        return obj

    def tier_for(self, value: Decimal) -> str:
        """small < 30,000 ≤ medium ≤ 50,000 < large (domain.md §5)."""
        if value > self.large_threshold:
            return ValueTier.LARGE
        if value >= self.medium_threshold:
            return ValueTier.MEDIUM
        return ValueTier.SMALL

    def levels_for(self, tier: str) -> list[str]:
        return list({ValueTier.SMALL: self.small_levels, ValueTier.MEDIUM: self.medium_levels,
                     ValueTier.LARGE: self.large_levels}[tier])

    def is_peak(self, on: date) -> bool:
        # peak_seasons is prefetched by load(): no query here.
        return any(s.start <= on <= s.end for s in self.peak_seasons.all())

    def open_cap(self, on: date) -> int:
        return self.open_cap_peak if self.is_peak(on) else self.open_cap_off_season


class PeakSeason(models.Model):
    settings = models.ForeignKey(DispatchSettings, on_delete=models.CASCADE, related_name="peak_seasons")
    name = models.CharField(_("name"), max_length=100, blank=True)
    start = models.DateField(_("from"))
    end = models.DateField(_("until"))

    class Meta:
        ordering = ["start"]
        verbose_name = _("peak season")
        verbose_name_plural = _("peak seasons")
        constraints = [models.CheckConstraint(condition=models.Q(end__gte=models.F("start")), name="peakseason_ordered")]

    def __str__(self):
        return f"{self.name} {self.start}–{self.end}".strip()


class Skill(BilingualName, models.Model):
    name = models.CharField(_("Chinese name"), max_length=100, unique=True)
    name_en = english_name_field(100)
    code = models.SlugField(_("code"), max_length=30, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        constraints = [unique_english_name("skill")]


class Technician(models.Model):
    """A field technician. The row is what dispatch locks (select_for_update) before counting caps."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="technician"
    )
    level = models.CharField(pgettext_lazy("technician", "level"), max_length=10, choices=Level.choices, default=Level.JUNIOR)
    skills = models.ManyToManyField(Skill, verbose_name=_("skills"), blank=True, related_name="technicians")
    regions = models.ManyToManyField(
        "customers.Region", verbose_name=_("regions covered"), blank=True, related_name="technicians"
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # When they were last given a job (fairness tie-break); written under the row lock.
    last_assigned_at = models.DateTimeField(_("last job given at"), null=True, blank=True)

    class Meta:
        ordering = ["user__username"]
        verbose_name = _("technician")
        verbose_name_plural = _("technicians")

    def __str__(self):
        return self.user.get_full_name() or self.user.username

    @property
    def name(self) -> str:
        return str(self)


class LeaveDay(models.Model):
    technician = models.ForeignKey(Technician, on_delete=models.CASCADE, related_name="leave_days")
    day = models.DateField(_("day"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["day"]
        verbose_name = _("leave day")
        verbose_name_plural = _("leave days")
        constraints = [models.UniqueConstraint(fields=["technician", "day"], name="leaveday_uniq")]

    def __str__(self):
        return f"{self.technician} {self.day}"


class WorkOrderCounter(models.Model):
    """Last number handed out per year; the locked row keeps WO numbers gap-free."""

    year = models.PositiveSmallIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.year}: {self.last}"


class WorkOrder(models.Model):
    """技术服务通知单: one visit for a repair ticket."""

    class Status(models.TextChoices):
        UNASSIGNED = "unassigned", pgettext_lazy("work order status", "Unassigned")
        OFFERED = "offered", _("Offered")
        ACCEPTED = "accepted", _("Accepted")
        ARRIVED = "arrived", _("On site")
        IN_PROGRESS = "in_progress", _("Work in progress")
        DONE = "done", _("Signed off")
        CLOSED = "closed", pgettext_lazy("work order status", "Closed")
        CANCELLED = "cancelled", pgettext_lazy("work order status", "Cancelled")

    # A technician "holds" these: they count against the open-jobs cap.
    HELD_STATUSES = (Status.OFFERED, Status.ACCEPTED, Status.ARRIVED, Status.IN_PROGRESS, Status.DONE)
    OPEN_STATUSES = (Status.UNASSIGNED, *HELD_STATUSES)
    FINISHED_STATUSES = (Status.CLOSED, Status.CANCELLED)

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="work_orders"
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="work_orders"
    )
    asset = models.ForeignKey(
        "customers.Asset", verbose_name=_("asset"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="work_orders",
    )
    address = models.CharField(_("address"), max_length=300)
    region = models.ForeignKey(
        "customers.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="work_orders"
    )
    window_start = models.DateTimeField(_("visit from"))
    window_end = models.DateTimeField(_("visit until"))
    skill = models.ForeignKey(Skill, verbose_name=_("required skill"), on_delete=models.PROTECT, related_name="+")
    estimated_value = models.DecimalField(
        _("estimated value (CNY)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    value_tier = models.CharField(_("value tier"), max_length=10, choices=ValueTier.choices, editable=False)
    in_warranty = models.BooleanField(_("in warranty"), default=False, editable=False)
    instructions = models.TextField(_("instructions"), blank=True, max_length=5000)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.UNASSIGNED)
    technician = models.ForeignKey(
        Technician, verbose_name=_("technician"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="work_orders",
    )
    forced = models.BooleanField(_("force-dispatched"), default=False)
    forced_reason = models.CharField(_("reason for forcing"), max_length=500, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution deadline"), null=True, blank=True)

    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    started_at = models.DateTimeField(_("work started at"), null=True, blank=True)
    work_done = models.TextField(_("work done"), blank=True, max_length=5000)
    # The tickets area's managed list, so recurring faults per product/model can be counted (domain.md §3).
    fault_cause = models.ForeignKey(
        "tickets.FaultCause", verbose_name=_("fault cause"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="work_orders",
    )
    signed_by_name = models.CharField(_("signed by"), max_length=100, blank=True)
    signature = models.FileField(_("signature"), upload_to="dispatch/signatures/%Y/%m/", blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    charge_amount = models.DecimalField(
        _("charge (CNY)"), max_digits=12, decimal_places=2, null=True, blank=True,
        help_text=_("Out of warranty: the accepted quote, for invoicing."),
    )
    # The next moment an escalation might fire; NULL when nothing is pending (partial index).
    next_check_at = models.DateTimeField(null=True, blank=True, editable=False)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["window_start", "id"]
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        permissions = [
            ("view_board", _("Can see the dispatch board")),
            ("force_dispatch", _("Can force-dispatch past the caps")),
            ("override_stock", _("Can use parts beyond the stock on hand")),
            ("work_on_jobs", _("Can take and work on their own work orders")),
        ]
        indexes = [
            models.Index(fields=["technician", "status"], name="wo_tech_status_idx"),
            models.Index(fields=["status", "window_start"], name="wo_status_window_idx"),
            models.Index(fields=["ticket"], name="wo_ticket_idx"),
            models.Index(
                fields=["next_check_at"], condition=models.Q(next_check_at__isnull=False), name="wo_next_check_idx"
            ),
            # The reports' job figures: created by reports migration 0002 as raw SQL, declared here since
            # dispatch 0004 so SQLite's table rebuilds keep them (see tickets.models.Ticket.Meta).
            models.Index(fields=["signed_at"], name="reports_wo_signed_idx"),
            models.Index(fields=["asset", "created_at"], name="reports_wo_asset_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(window_end__gte=models.F("window_start")), name="wo_window_ordered"),
            models.CheckConstraint(condition=models.Q(estimated_value__gte=0), name="wo_value_non_negative"),
            models.CheckConstraint(
                condition=~models.Q(status__in=["offered", "accepted", "arrived", "in_progress", "done"])
                | models.Q(technician__isnull=False),
                name="wo_held_has_technician",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=["done", "closed"]) | models.Q(signed_at__isnull=False),
                name="wo_done_is_signed",
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED_STATUSES

    @property
    def needs_quote(self) -> bool:
        return not self.in_warranty


class DispatchDecision(models.Model):
    """Why a technician was chosen, or why none was (公开公平公正). `explanation` is structured JSON:
    {"chosen": {...} | null, "excluded": [{"technician": name, "reasons": [code, ...]}], "ranked": [...]},
    rendered translatably by dispatch.explain."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="decisions")
    chosen = models.ForeignKey(Technician, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    forced = models.BooleanField(default=False)
    explanation = models.JSONField(default=dict)
    made_at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["-made_at", "-id"]
        verbose_name = _("dispatch decision")
        verbose_name_plural = _("dispatch decisions")
        indexes = [models.Index(fields=["work_order", "-made_at"], name="decision_wo_idx")]

    def __str__(self):
        return f"{self.work_order_id} {self.made_at:%Y-%m-%d %H:%M}"


class Offer(models.Model):
    """A job offered to one technician, who must accept or decline with a reason before expires_at."""

    class Answer(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    # These count as "a new job given" for the daily/weekly caps.
    COUNTED_ANSWERS = (Answer.PENDING, Answer.ACCEPTED)

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="offers")
    technician = models.ForeignKey(Technician, on_delete=models.PROTECT, related_name="offers")
    offered_at = models.DateTimeField(_("offered at"))
    expires_at = models.DateTimeField(_("expires at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answer = models.CharField(_("answer"), max_length=10, choices=Answer.choices, default=Answer.PENDING)
    decline_reason = models.CharField(_("reason for declining"), max_length=500, blank=True)
    forced = models.BooleanField(_("force-dispatched"), default=False)
    offered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-offered_at", "-id"]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        indexes = [
            # The timeout sweep: only pending offers, by expiry.
            models.Index(fields=["expires_at"], condition=models.Q(answer="pending"), name="offer_pending_expiry_idx"),
            # Caps: new jobs per technician per day/week.
            models.Index(fields=["technician", "offered_at"], name="offer_tech_time_idx"),
            models.Index(fields=["work_order", "technician"], name="offer_wo_tech_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["work_order"], condition=models.Q(answer="pending"), name="offer_one_pending_per_wo"
            ),
            models.CheckConstraint(
                condition=~models.Q(answer="declined") | ~models.Q(decline_reason=""), name="offer_decline_has_reason"
            ),
        ]

    def __str__(self):
        return f"{self.work_order} → {self.technician}"


class Escalation(models.Model):
    """A work order escalated for one reason at one level: the UniqueConstraint makes it exactly once."""

    class Reason(models.TextChoices):
        NOT_ACCEPTED = "not_accepted", _("Not accepted in time")
        NOT_STARTED = "not_started", _("Not started by the visit window")
        NOT_DONE = "not_done", _("Not done by the resolution deadline")
        NO_TECHNICIAN = "no_technician", _("No eligible technician")

    class Level(models.IntegerChoices):
        SUPERVISOR = 1, _("Supervisor")
        MANAGER = 2, _("Manager")

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="escalations")
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    level = models.PositiveSmallIntegerField(pgettext_lazy("escalation", "level"), choices=Level.choices)
    due_at = models.DateTimeField(pgettext_lazy("escalation", "due at"))
    created_at = models.DateTimeField(_("escalated at"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [
            models.UniqueConstraint(fields=["work_order", "reason", "level"], name="escalation_once_per_level")
        ]

    def __str__(self):
        return f"{self.work_order} {self.reason} L{self.level}"


class Part(BilingualName, models.Model):
    sku = models.CharField(_("part number"), max_length=40, unique=True)
    name = models.CharField(_("Chinese name"), max_length=200)
    name_en = english_name_field(200)
    unit_price = models.DecimalField(_("unit price (CNY)"), max_digits=10, decimal_places=2, default=Decimal("0"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("spare part")
        verbose_name_plural = _("spare parts")

    @property
    def label_with_sku(self) -> str:
        return f"{self.display_name} ({self.sku})"


class StockLevel(models.Model):
    """Spare parts on hand. Never below zero: the CheckConstraint is the last word (locked row + check first)."""

    part = models.OneToOneField(Part, on_delete=models.CASCADE, related_name="stock")
    quantity = models.IntegerField(_("on hand"), default=0)

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        constraints = [models.CheckConstraint(condition=models.Q(quantity__gte=0), name="stock_never_negative")]

    def __str__(self):
        return f"{self.part.label_with_sku}: {self.quantity}"


class PartUsage(models.Model):
    """A part fitted on a job (requisitioned from stock) and the faulty part returned, if any."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="part_usages")
    part = models.ForeignKey(Part, verbose_name=_("part"), on_delete=models.PROTECT, related_name="usages")
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    # Units not covered by stock, allowed by a supervisor's override (e.g. a part bought locally).
    shortfall = models.PositiveIntegerField(_("not from stock"), default=0)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("override by"),
    )
    override_reason = models.CharField(_("override reason"), max_length=300, blank=True)
    faulty_returned = models.BooleanField(_("faulty part returned"), default=False)
    faulty_note = models.CharField(_("faulty part note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        ordering = ["recorded_at", "id"]
        verbose_name = _("part used")
        verbose_name_plural = _("parts used")
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="partusage_quantity_positive"),
            models.CheckConstraint(
                condition=models.Q(shortfall=0) | models.Q(override_by__isnull=False), name="partusage_shortfall_overridden"
            ),
        ]

    def __str__(self):
        return f"{self.part} × {self.quantity}"


class WorkOrderPhoto(models.Model):
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(_("photo"), upload_to="dispatch/photos/%Y/%m/")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")


class Quote(models.Model):
    """Out of warranty: the price the customer agrees (and signs) before work starts."""

    work_order = models.OneToOneField(WorkOrder, on_delete=models.CASCADE, related_name="quote")
    amount = models.DecimalField(_("amount (CNY)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    description = models.TextField(_("description"), max_length=2000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"))
    accepted_by_name = models.CharField(_("accepted by"), max_length=100, blank=True)
    signature = models.FileField(_("signature"), upload_to="dispatch/quotes/%Y/%m/", blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        constraints = [models.CheckConstraint(condition=models.Q(amount__gte=0), name="quote_amount_non_negative")]

    def __str__(self):
        return f"{self.work_order} ¥{self.amount}"

    @property
    def is_accepted(self) -> bool:
        return self.accepted_at is not None


class WorkOrderEvent(models.Model):
    """The work order's audit trail: who, what, when, details (实名制)."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=30)
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("work order event")
        verbose_name_plural = _("work order events")
        indexes = [models.Index(fields=["work_order", "created_at"], name="woevent_wo_idx")]

    def __str__(self):
        return f"{self.work_order_id} {self.kind}"
