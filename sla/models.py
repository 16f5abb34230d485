"""Service levels (domain.md §4): business calendars, policies, per-ticket clocks and escalations.

How the pieces fit:

* A **BusinessCalendar** is the department's working week (per-weekday hours with an optional lunch
  break, in a zone) plus dated exceptions (**CalendarDay**: public holidays and 调休 make-up working
  days). It becomes a pure ``servicedesk.businesstime.WorkingCalendar`` for arithmetic.
* An **SLAPolicy** says which tickets it matches (kind, priority, customer tier, channel; empty means
  "any") and carries one **SLATarget** per target type (first response, resolution, investigation,
  solution), each with its duration, clock type and thresholds.
* When a ticket opens, each target of the matching policy is **copied** into an **SLAClock** (the
  snapshot), so editing a policy never moves an existing deadline; a manager may re-apply on purpose.
* An **SLAEscalation** row is written once per (clock, level) — the unique constraint is what makes
  each warning / breach / level-2 escalation happen exactly once, however many sweeps run.
"""
import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from servicedesk.models import TimeStampedModel
from servicedesk.shared_memo import changes_queryset


def _policies_memo():
    from .services import POLICIES

    return POLICIES


PolicyQuerySet = changes_queryset(_policies_memo)  # bulk writes renew the kept policies (sla.services.POLICIES)


def _calendars_memo():
    from .calendars import CALENDARS

    return CALENDARS


class Target(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    RESOLUTION = "resolution", _("Resolution")
    INVESTIGATION = "investigation", _("Complaint investigation")
    SOLUTION = "solution", _("Solution to customer")
    # Issue 17: a complaint handed to a responsible department. These clocks are not policy targets:
    # each hand-off (tickets.ComplaintHandoff) starts its own pair, timed by the department's own
    # deadlines on the default business calendar (sla.services.clocks_start_handoff).
    DEPT_ACCEPT = "dept_accept", _("Department accepts the complaint")
    DEPT_FINDINGS = "dept_findings", _("Department reports its findings")


# The targets a policy may carry (the department ones come from the department, per hand-off).
DEPARTMENT_TARGETS = (Target.DEPT_ACCEPT, Target.DEPT_FINDINGS)
POLICY_TARGET_CHOICES = [(value, label) for value, label in Target.choices if value not in DEPARTMENT_TARGETS]


class ClockType(models.TextChoices):
    ALL_DAY = "all_day", _("All-day clock (24×7)")
    BUSINESS = "business", _("Business calendar (working time)")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


def validate_zone(value: str) -> None:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("“%(zone)s” is not a known time zone (e.g. Asia/Shanghai)."), params={"zone": value})


class BusinessCalendar(TimeStampedModel):
    """The department's working time. Exactly one calendar is the default."""

    objects = changes_queryset(_calendars_memo).as_manager()  # bulk writes renew sla.calendars.CALENDARS
    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_zone])
    is_default = models.BooleanField(_("default calendar"), default=False)
    # A new random token on every change of the calendar, its hours or its days: the per-process
    # cache of built calendars (selectors.working_calendar) compares it, so a change is seen at
    # once, and a rolled-back change can never be mistaken for a newer one (a counter could).
    revision = models.UUIDField(default=uuid.uuid4, editable=False)

    class Meta:
        ordering = ["-is_default", "name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=models.Q(is_default=True), name="sla_one_default_calendar"),
        ]
        permissions = [("manage_sla", _("Can manage SLA policies and business calendars"))]

    def __str__(self):
        return self.name


class BusinessHours(models.Model):
    """One weekday's working hours, e.g. Monday 09:00–18:00 with lunch 12:00–13:00. No row = day off.

    Make-up working days (调休) follow Monday's hours: that is what the State Council's notices mean.
    """

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))
    lunch_start = models.TimeField(_("lunch break from"), null=True, blank=True)
    lunch_end = models.TimeField(_("lunch break until"), null=True, blank=True)

    class Meta:
        ordering = ["calendar", "weekday"]
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "weekday"], name="sla_hours_one_per_weekday"),
            models.CheckConstraint(condition=models.Q(start__lt=models.F("end")), name="sla_hours_start_before_end"),
            models.CheckConstraint(
                condition=models.Q(lunch_start__isnull=True, lunch_end__isnull=True)
                | models.Q(lunch_start__isnull=False, lunch_end__isnull=False, lunch_start__lt=models.F("lunch_end"),
                           lunch_start__gt=models.F("start"), lunch_end__lt=models.F("end")),
                name="sla_hours_lunch_inside_day",
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"

    def clean(self):
        if self.start and self.end and self.start >= self.end:
            raise ValidationError(_("The working day must end after it starts."))
        if (self.lunch_start is None) != (self.lunch_end is None):
            raise ValidationError(_("Give both ends of the lunch break, or neither."))
        if self.lunch_start and self.lunch_end and self.start and self.end:
            if not (self.start < self.lunch_start < self.lunch_end < self.end):
                raise ValidationError(_("The lunch break must lie inside the working day."))

    def intervals(self):
        if self.lunch_start is None:
            return ((self.start, self.end),)
        return ((self.start, self.lunch_start), (self.lunch_end, self.end))


class CalendarDay(models.Model):
    """A dated exception: a public holiday (day off) or a make-up working day (调休)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday (day off)")
        WORKDAY = "workday", _("Make-up working day (调休)")

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["calendar", "date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="sla_calendarday_one_per_date")]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()


class SLAPolicy(TimeStampedModel):
    """Which tickets get which targets.

    Matching precedence (documented for managers on the policy page):
      1. only active policies whose every filled-in criterion equals the ticket's value
         (an empty criterion matches anything);
      2. the **most specific** wins: the one with the most criteria filled in;
      3. between equally specific policies, the lower **order** wins; then the older policy.
    """

    objects = PolicyQuerySet.as_manager()
    name = models.CharField(_("name"), max_length=100, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(
        pgettext_lazy("sort order", "order"), default=100, help_text=_("Tie-breaker between equally specific policies: lower wins.")
    )
    kind = models.CharField(_("ticket kind"), max_length=12, blank=True, help_text=_("Empty: any kind."))
    priority = models.PositiveSmallIntegerField(_("priority"), null=True, blank=True, help_text=_("Empty: any priority."))
    tier = models.CharField(_("customer tier"), max_length=10, blank=True, help_text=_("Empty: any tier."))
    channel = models.CharField(_("channel"), max_length=12, blank=True, help_text=_("Empty: any channel."))

    class KeyAccount(models.TextChoices):
        ANY = "", _("Any customer")
        YES = "yes", _("Key accounts only")
        NO = "no", _("Not key accounts")

    # Issue 17, green channel: a criterion like the others (counted in specificity); at equal
    # specificity a key-account policy wins (sla.services.policy_match).
    key_account = models.CharField(_("key account"), max_length=3, blank=True, choices=KeyAccount.choices,
                                   default=KeyAccount.ANY, help_text=_("Empty: any customer."))
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("business calendar"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="policies",
        help_text=_("For business-calendar targets. Empty: the default calendar."),
    )
    description = models.TextField(_("description"), blank=True, max_length=2000)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.CheckConstraint(condition=models.Q(priority__isnull=True) | models.Q(priority__lte=3), name="sla_policy_priority_valid"),
            models.CheckConstraint(condition=models.Q(key_account__in=["", "yes", "no"]), name="sla_policy_key_account_valid"),
        ]

    def __str__(self):
        return self.name

    @property
    def specificity(self) -> int:
        return sum(1 for value in (self.kind, self.tier, self.channel, self.key_account) if value) + (self.priority is not None)

    @property
    def criteria(self) -> list[str]:
        """The filled-in criteria as people read them (e.g. "Complaint", "Urgent", "Diamond")."""
        from customers.models import Channel
        from customers.tiers import tier_label
        from tickets.models import Ticket

        labels = []
        if self.kind:
            labels.append(dict(Ticket.Kind.choices).get(self.kind, self.kind))
        if self.priority is not None:
            labels.append(dict(Ticket.Priority.choices).get(self.priority, self.priority))
        if self.tier:
            labels.append(tier_label(self.tier))
        if self.channel:
            labels.append(dict(Channel.choices).get(self.channel, self.channel))
        if self.key_account:
            labels.append(self.get_key_account_display())
        return labels

    def matches(self, *, kind: str, priority: int, tier: str, channel: str, is_key_account: bool = False) -> bool:
        return (
            (not self.key_account or (self.key_account == self.KeyAccount.YES) == bool(is_key_account))
            and (not self.kind or self.kind == kind)
            and (self.priority is None or self.priority == priority)
            and (not self.tier or self.tier == tier)
            and (not self.channel or self.channel == channel)
        )


class SLATarget(models.Model):
    """One target of a policy: e.g. first response within 24 h on the all-day clock."""

    objects = PolicyQuerySet.as_manager()

    policy = models.ForeignKey(SLAPolicy, on_delete=models.CASCADE, related_name="targets")
    target = models.CharField(_("target"), max_length=20, choices=POLICY_TARGET_CHOICES)
    hours = models.DecimalField(
        _("allowed time (hours)"),
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.25")), MaxValueValidator(Decimal("8760"))],
        help_text=_("On a business calendar these are working hours: one working day is 8 hours (09:00–18:00 with lunch)."),
    )
    clock = models.CharField(_("clock"), max_length=10, choices=ClockType.choices, default=ClockType.ALL_DAY)
    warning_percent = models.PositiveSmallIntegerField(
        _("warning at (% of allowed time)"),
        null=True,
        blank=True,
        default=75,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text=_("The owner is warned when this share of the time is used. Empty: no warning."),
    )
    level2_multiplier = models.DecimalField(
        _("level 2 at (× allowed time)"),
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        default=Decimal("2"),
        validators=[MinValueValidator(Decimal("1.01")), MaxValueValidator(Decimal("20"))],
        help_text=_("The managers are told when this multiple of the time has passed. Empty: no level 2."),
    )
    reassign_to_supervisor = models.BooleanField(
        _("reassign to the supervisor at breach"), default=False
    )

    class Meta:
        ordering = ["policy", "target"]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.UniqueConstraint(fields=["policy", "target"], name="sla_target_one_per_policy"),
            models.CheckConstraint(condition=models.Q(hours__gt=0), name="sla_target_hours_positive"),
            # a department's deadlines are the department's (Department.accept_hours, findings_hours), never a
            # policy's: a policy target for them would start a ticket-level department clock
            models.CheckConstraint(condition=~models.Q(target__in=[t.value for t in DEPARTMENT_TARGETS]),
                                   name="sla_target_not_department"),
        ]

    def __str__(self):
        return f"{self.get_target_display()}: {self.hours} h"

    @property
    def duration(self) -> timedelta:
        return timedelta(seconds=int(self.hours * 3600))


class SLAClock(models.Model):
    """One target running on one ticket. A snapshot: the policy's values are copied when it starts.

    Level moments (warning_at, deadline, level2_at) are stored, so the sweep only compares times;
    `next_check_at` is the next of them still to fire (NULL when paused, stopped or all fired) and
    sits on a partial index, so the sweep never scans clocks that cannot fire.
    """

    class Level(models.IntegerChoices):
        NONE = 0, _("None")
        WARNING = 1, _("Warning")
        BREACH = 2, _("Breach (level 1)")
        LEVEL2 = 3, _("Level 2")

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="sla_clocks")
    target = models.CharField(_("target"), max_length=20, choices=Target.choices)
    # Set for the department clocks (issue 17): one pair per hand-off, so a complaint handed to a
    # department a second time gets fresh clocks (and its own exactly-once escalations).
    # No index of its own: the partial unique (handoff, target) below serves "this hand-off's clocks", and a
    # plain index on a column that is NULL on nearly every row lured the planner into reading it for the
    # ticket clocks' `handoff IS NULL` instead of sla_clock_running_idx (tests/reports/test_query_plans.py).
    handoff = models.ForeignKey("tickets.ComplaintHandoff", on_delete=models.CASCADE, null=True, blank=True,
                                related_name="sla_clocks", db_index=False)
    policy = models.ForeignKey(SLAPolicy, on_delete=models.SET_NULL, null=True, blank=True, related_name="clocks")
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # --- snapshot of the policy's target ---
    duration = models.DurationField(_("allowed time"))
    clock = models.CharField(_("clock"), max_length=10, choices=ClockType.choices)
    warning_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    level2_multiplier = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    reassign_to_supervisor = models.BooleanField(default=False)
    # --- state ---
    started_at = models.DateTimeField(_("started at"))
    warning_at = models.DateTimeField(_("warning at"), null=True, blank=True)
    deadline = models.DateTimeField(_("deadline"))
    level2_at = models.DateTimeField(_("level 2 at"), null=True, blank=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    # Clock time spent paused: working time for business clocks, wall time for all-day clocks.
    paused_total = models.DurationField(_("paused for"), default=timedelta(0))
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    # Clock time used when it stopped (excludes pauses): what median / p90 response time report.
    elapsed = models.DurationField(_("time taken"), null=True, blank=True)
    met = models.BooleanField(_("met"), null=True, blank=True)  # NULL = not decided (running / cancelled)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    last_level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.NONE)
    next_check_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["ticket", "target"]
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        permissions = [("view_dashboard", _("Can see the SLA dashboard"))]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "target"], condition=models.Q(handoff__isnull=True),
                                    name="sla_clock_one_per_target"),
            models.UniqueConstraint(fields=["handoff", "target"], condition=models.Q(handoff__isnull=False),
                                    name="sla_clock_one_per_handoff_target"),
        ]
        indexes = [
            # The sweep's only access path: rows that can still fire, earliest first.
            models.Index(fields=["next_check_at"], condition=models.Q(next_check_at__isnull=False), name="sla_clock_due_idx"),
            # At-risk list: running clocks by deadline. The other columns make it covering for the
            # compliance figures' read of running clocks past their deadline not yet swept
            # (sla.selectors.UnsweptMissed): no table lookup per clock (issue 14). `handoff` too: the
            # ticket clocks' `handoff IS NULL` (issue 17) otherwise costs a lookup per clock again
            # (9,000 unswept clocks on SQLite: their count 9.6 → 0.7 ms, the dashboard's grouped read 43 → 32 ms);
            # `stopped_at` (always NULL here) so that SQLite calls the index covering and the plan test can pin it.
            models.Index(fields=["deadline", "met", "paused_at", "target", "ticket", "handoff", "stopped_at"],
                         condition=models.Q(stopped_at__isnull=True), name="sla_clock_running_idx"),
            # Dashboard figures over a date range, per target.
            models.Index(fields=["target", "started_at"], name="sla_clock_started_idx"),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.target}"

    @property
    def is_running(self) -> bool:
        return self.stopped_at is None and self.paused_at is None


class SLAEscalation(models.Model):
    """A warning or escalation that happened. Unique per (clock, level): that is exactly-once."""

    class Level(models.TextChoices):
        WARNING = "warning", _("Warning")
        BREACH = "breach", _("Breach (level 1)")
        LEVEL2 = "level2", _("Level 2 (manager)")

    # No index of its own: the unique (clock, level) serves every lookup by clock (issue 14).
    clock = models.ForeignKey(SLAClock, on_delete=models.CASCADE, related_name="escalations", db_index=False)
    level = models.CharField(pgettext_lazy("escalation", "level"), max_length=10, choices=Level.choices)
    # The moment it was due (not the sweep time): a catch-up after downtime keeps the true history.
    scheduled_for = models.DateTimeField(pgettext_lazy("escalation", "due at"))
    fired_at = models.DateTimeField(_("done at"))
    # False when the sweep found this level already passed by a higher one (first swept late):
    # recorded, so it never fires later, but only the highest level due was notified.
    notified = models.BooleanField(_("notified"), default=True, db_default=True)

    class Meta:
        ordering = ["scheduled_for", "id"]
        verbose_name = _("SLA escalation")
        verbose_name_plural = _("SLA escalations")
        constraints = [models.UniqueConstraint(fields=["clock", "level"], name="sla_escalation_once_per_level")]
        indexes = [models.Index(fields=["level", "scheduled_for"], name="sla_escalation_level_idx")]

    def __str__(self):
        return f"{self.clock_id} {self.level}"


class SLAPolicyChange(models.Model):
    """Audit of explicit manager actions on running clocks (re-apply policy)."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    policy = models.ForeignKey(SLAPolicy, on_delete=models.SET_NULL, null=True, related_name="+")
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("SLA re-application")
        verbose_name_plural = _("SLA re-applications")


class SLADailyCompliance(models.Model):
    """Decided clocks per day and segment: what the dashboard's compliance and trend read.

    One row per (day the clock is due — its deadline — in the department's zone) × target × the ticket's kind, tier,
    channel, team and agent at the moment the outcome was decided. Kept by sla.rollup in the same
    transaction as the decision; `rollup.rebuild()` recomputes it from the clocks. Empty strings and 0
    stand for "none" so the unique key also holds for unassigned tickets (NULLs never conflict).
    """

    day = models.DateField()
    target = models.CharField(max_length=20, choices=Target.choices)
    kind = models.CharField(max_length=12, default="")
    tier = models.CharField(max_length=10, default="")
    channel = models.CharField(max_length=12, default="")
    team = models.IntegerField(default=0)  # team id, 0 = none
    agent = models.IntegerField(default=0)  # assignee id, 0 = none
    decided = models.IntegerField(default=0)
    met = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "target", "kind", "tier", "channel", "team", "agent"],
                                    name="sla_daily_compliance_key"),
        ]
        # Every compliance read (the reports, the SLA dashboard's figures and breakdowns, the report
        # e-mails) is a day range grouped by some of the dimensions: answered from this index alone.
        # The key above needs a row lookup per cell for the counts: at 100,000 tickets on SQLite, two
        # months by day and target 30 → 7 ms, a month by every dimension 45 → 20 ms. The key stays:
        # the rollup's upsert (ON CONFLICT) needs a unique index on exactly its columns.
        indexes = [models.Index(fields=["day", "target", "kind", "tier", "channel", "team", "agent", "decided", "met"],
                                name="sla_daily_cover_idx")]

    def __str__(self):
        return f"{self.day} {self.target}: {self.met}/{self.decided}"


class SLADailyComplianceDim(models.Model):
    """SLADailyCompliance summed over all dimensions but one (and the team): what the dashboard's breakdowns read.

    One row per day × target × team × dimension (kind, tier, channel or agent) × its value. A month of the fine
    table at 100,000 tickets is ~20,000 rows in ~3,800 groups (every kind × tier × channel × agent that met), and
    grouping them cost the cold SLA dashboard ~20 ms on SQLite; this holds ~5,000 rows a month in ~40 groups
    (2.5 ms). The team total and the target's total are the sum over any one dimension's values (kind's, say).
    Kept by sla.rollup.Deltas in the same statement batch as the fine table; `rollup.rebuild()` recomputes it.
    The agent's id is stored as text, like the other values ("0" = none)."""

    DIMS = ("kind", "tier", "channel", "agent")  # every decided clock has one row per dimension ("kind" gives totals)

    day = models.DateField()
    target = models.CharField(max_length=20, choices=Target.choices)
    team = models.IntegerField(default=0)
    dim = models.CharField(max_length=8)
    value = models.CharField(max_length=20)
    decided = models.IntegerField(default=0)
    met = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "target", "team", "dim", "value"], name="sla_daily_dim_key"),
        ]
        indexes = [models.Index(fields=["day", "target", "team", "dim", "value", "decided", "met"],
                                name="sla_daily_dim_cover_idx")]

    def __str__(self):
        return f"{self.day} {self.target} {self.dim}={self.value}: {self.met}/{self.decided}"


class SLADailyDuration(models.Model):
    """Histogram of clock time taken per day, target and team, in fixed log-scale buckets
    (sla.rollup.bucket_of): median and p90 are read from the cumulative counts."""

    day = models.DateField()
    target = models.CharField(max_length=20, choices=Target.choices)
    team = models.IntegerField(default=0)
    bucket = models.SmallIntegerField()
    n = models.IntegerField(default=0)
    seconds = models.BigIntegerField(default=0)  # sum of the times taken in the bucket: its mean is shown

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "target", "team", "bucket"], name="sla_daily_duration_key"),
        ]

    def __str__(self):
        return f"{self.day} {self.target} [{self.bucket}]: {self.n}"
