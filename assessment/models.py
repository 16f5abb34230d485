"""Staff assessment (issue 18 item 1): the monthly 100-point score that sets a third of a person's pay.

The form (parts, items, maxima), the evaluator kinds and their weights and the money/threshold rules
are data a manager edits. A cycle copies them when it opens (``Cycle.snapshot``) so later edits do not
change a month already under way; a closed cycle's results are stored and locked, and every later
correction is an ``Adjustment`` row (who, when, points, reason).
"""
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from servicedesk.lookups import BilingualName, english_name_field

# StaffFacts fields (monitoring.selectors) an item may show beside it: suggestions, not scores.
FACT_CHOICES = [
    ("", _("No fact")),
    ("contacts_handled", _("Contacts handled")),
    ("avg_handling_seconds", _("Average handling time")),
    ("first_response_compliance", _("First responses on time")),
    ("callbacks_on_time", _("Callbacks on time")),
    ("csat", _("Customer satisfaction")),
    ("valid_complaints", _("Valid complaints")),
    ("first_contact_resolution", _("First-contact resolution")),
    ("sla_at_risk", _("Tickets at risk now")),
]


class AssessmentSettings(models.Model):
    """The rules a manager edits (one row, created on first read)."""

    form_max = models.PositiveIntegerField(
        _("form maximum"), default=60, validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_("The form total that counts as full marks (the department's documents say 60)."))
    complaint_points = models.DecimalField(
        _("points per valid complaint"), max_digits=5, decimal_places=2, default=Decimal("5"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))])
    reward_amount = models.DecimalField(
        _("reward for a full score (¥)"), max_digits=9, decimal_places=2, default=Decimal("50"),
        validators=[MinValueValidator(Decimal("0"))])
    threshold = models.DecimalField(
        _("low-score threshold"), max_digits=5, decimal_places=2, default=Decimal("80"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))])
    flag_months = models.PositiveSmallIntegerField(
        _("months below the threshold before review"), default=3,
        validators=[MinValueValidator(1), MaxValueValidator(24)])

    class Meta:
        verbose_name = _("assessment settings")
        verbose_name_plural = _("assessment settings")

    def __str__(self):
        return str(_("Assessment settings"))

    @classmethod
    def current(cls) -> "AssessmentSettings":
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class FormPart(BilingualName, models.Model):
    """A part of the assessment form (心态, 技能, 服务品质)."""

    name = models.CharField(_("Chinese name"), max_length=100)
    name_en = english_name_field(100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("form part")
        verbose_name_plural = _("form parts")


class FormItem(BilingualName, models.Model):
    """One line of the form, scored 0..max_points by each evaluator."""

    part = models.ForeignKey(FormPart, verbose_name=_("part"), on_delete=models.PROTECT, related_name="items")
    name = models.CharField(_("Chinese name"), max_length=200)
    name_en = english_name_field(200)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)
    max_points = models.PositiveSmallIntegerField(
        _("maximum points"), default=5, validators=[MinValueValidator(0), MaxValueValidator(5)])
    fact = models.CharField(_("fact shown beside it"), max_length=40, blank=True, choices=FACT_CHOICES)

    class Meta:
        ordering = ["part__order", "order", "pk"]
        verbose_name = _("form item")
        verbose_name_plural = _("form items")
        constraints = [
            models.CheckConstraint(condition=Q(max_points__gte=0, max_points__lte=5), name="assessment_item_max_0_5"),
        ]


class EvaluatorKind(BilingualName, models.Model):
    """Who evaluates (supervisor, marketing head, production head, peers) and their weight in the score."""

    SUPERVISOR = "supervisor"

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("Chinese name"), max_length=100)
    name_en = english_name_field(100)
    weight = models.DecimalField(_("weight (points of 100)"), max_digits=5, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))])
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("evaluator kind")
        verbose_name_plural = _("evaluator kinds")
        constraints = [
            models.CheckConstraint(condition=Q(weight__gte=0, weight__lte=100), name="assessment_kind_weight_0_100"),
        ]


class EvaluatorAssignment(models.Model):
    """Who evaluates whom, as which kind. A person without a supervisor row is evaluated by their team's
    supervisor (servicedesk.Team.supervisor) when a cycle opens."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.CASCADE,
                               related_name="assessment_evaluators")
    evaluator = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("evaluator"), on_delete=models.CASCADE,
                                  related_name="assessment_evaluates")
    kind = models.ForeignKey(EvaluatorKind, verbose_name=_("as"), on_delete=models.PROTECT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("set by"))
    created_at = models.DateTimeField(_("set at"), auto_now_add=True)

    class Meta:
        ordering = ["person_id", "kind__order", "pk"]
        verbose_name = _("evaluator assignment")
        verbose_name_plural = _("evaluator assignments")
        constraints = [
            models.UniqueConstraint(fields=["person", "evaluator", "kind"], name="assessment_assignment_unique"),
            models.CheckConstraint(condition=~Q(person=models.F("evaluator")), name="assessment_no_self_evaluation"),
        ]


class Cycle(models.Model):
    """One month's assessment: open while evaluators fill forms, closed (and locked) once computed."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    month = models.DateField(_("month"), unique=True, help_text=_("The first day of the month."))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    # What the month is scored by, copied at opening: {"form_max", "items": [...], "kinds": [...],
    # "complaint_points", "reward_amount", "threshold", "flag_months"} (see services.cycle_open).
    snapshot = models.JSONField(_("rules of the month"), default=dict)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("opened by"))
    opened_at = models.DateTimeField(_("opened at"))
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  null=True, blank=True, verbose_name=_("closed by"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-month"]
        verbose_name = _("assessment cycle")
        verbose_name_plural = _("assessment cycles")
        permissions = [
            ("manage_cycle", _("Can open and close assessment cycles, set evaluators and adjust results")),
            ("view_team_results", _("Can see the assessment results of their team")),
            ("be_assessed", _("Is assessed every month")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(month__day=1), name="assessment_cycle_first_of_month"),
        ]

    def __str__(self):
        return self.month.strftime("%Y-%m")

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN


class EvaluationTask(models.Model):
    """One evaluator's form about one person in one cycle. `answers` = {item id: points};
    `total` is their sum, written on submission (the score averages totals in SQL)."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("cycle"))
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("person"))
    evaluator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="assessment_tasks", verbose_name=_("evaluator"))
    kind = models.ForeignKey(EvaluatorKind, on_delete=models.PROTECT, verbose_name=_("as"))
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    total = models.DecimalField(_("form total"), max_digits=7, decimal_places=2, null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     null=True, blank=True, verbose_name=_("submitted by"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        ordering = ["cycle", "person_id", "kind__order", "pk"]
        verbose_name = _("evaluation form")
        verbose_name_plural = _("evaluation forms")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "person", "evaluator", "kind"], name="assessment_task_unique"),
        ]
        indexes = [
            # "My forms to fill": an evaluator's tasks in open cycles.
            models.Index(fields=["evaluator", "cycle"], name="assessment_task_evaluator_idx"),
        ]


class Result(models.Model):
    """A person's locked result for a closed month. `computed_score` never changes after closing;
    `score` = computed_score + the adjustments, clamped 0..100. `breakdown` is the line-by-line
    explanation as computed at closing."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="results", verbose_name=_("cycle"))
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assessment_results",
                               verbose_name=_("person"))
    computed_score = models.DecimalField(_("score at closing"), max_digits=6, decimal_places=2)
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2)
    reward = models.DecimalField(_("reward (¥)"), max_digits=9, decimal_places=2, default=Decimal("0"))
    months_below = models.PositiveSmallIntegerField(_("consecutive months below the threshold"), default=0)
    flagged = models.BooleanField(_("flagged for dismissal review"), default=False)
    breakdown = models.JSONField(_("breakdown"), default=dict)

    class Meta:
        ordering = ["cycle", "person_id"]
        verbose_name = _("assessment result")
        verbose_name_plural = _("assessment results")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "person"], name="assessment_result_unique"),
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=100), name="assessment_result_score_0_100"),
        ]
        indexes = [models.Index(fields=["person", "cycle"], name="assessment_result_person_idx")]

    @property
    def pay_pct(self):
        return self.score


class Adjustment(models.Model):
    """A correction to a locked result, by a named person, with a reason."""

    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="adjustments", verbose_name=_("result"))
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("-100")), MaxValueValidator(Decimal("100"))])
    reason = models.CharField(_("reason"), max_length=300)
    score_before = models.DecimalField(_("score before"), max_digits=6, decimal_places=2)
    score_after = models.DecimalField(_("score after"), max_digits=6, decimal_places=2)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("by"))
    created_at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("score adjustment")
        verbose_name_plural = _("score adjustments")


class AssessmentEvent(models.Model):
    """The log of what named people did here: cycle opened/closed, evaluators set/removed, forms submitted."""

    class Action(models.TextChoices):
        CYCLE_OPENED = "cycle_opened", _("Cycle opened")
        CYCLE_CLOSED = "cycle_closed", _("Cycle closed")
        EVALUATOR_ADDED = "evaluator_added", _("Evaluator added")
        EVALUATOR_REMOVED = "evaluator_removed", _("Evaluator removed")
        FORM_SUBMITTED = "form_submitted", _("Form submitted")
        SCORE_ADJUSTED = "score_adjusted", _("Score adjusted")

    action = models.CharField(_("action"), max_length=30, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("at"))
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                               related_name="+")
    detail = models.JSONField(_("before → after"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("assessment event")
        verbose_name_plural = _("assessment events")
