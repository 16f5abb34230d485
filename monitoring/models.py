"""Live monitoring (issue 18, item 4): anomaly rules a manager tunes, and the alerts they fired."""
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from servicedesk.models import TimeStampedModel


def norm_days() -> int:
    """How many days before today a person's handling-time norm covers (settings.MONITORING_NORM_DAYS)."""
    return int(getattr(settings, "MONITORING_NORM_DAYS", 30))


class AnomalyRule(TimeStampedModel):
    """One rule the 5-minute evaluation checks for every agent and front-desk person today.

    What the numbers mean depends on the kind (Kind's labels and KIND_HELP say it):
    handling time — today's average above `factor` × the person's own average over the previous
    settings.MONITORING_NORM_DAYS days (default 30), with at least `threshold` contacts today; low scores — at least `threshold`
    survey answers today with overall ≤ `max_score`; valid complaint — at least `threshold` valid
    complaints today; SLA at risk — more than `threshold` of their open tickets at risk now."""

    class Kind(models.TextChoices):
        HANDLING_TIME = "handling_time", _("Handling time far above the person's norm")
        LOW_SCORES = "low_scores", _("Low survey scores in a day")
        VALID_COMPLAINT = "valid_complaint", _("Valid complaint today")
        SLA_AT_RISK = "sla_at_risk", _("Too many tickets at risk")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    active = models.BooleanField(_("active"), default=True)
    threshold = models.PositiveIntegerField(
        _("count"), default=1, validators=[MinValueValidator(0), MaxValueValidator(10000)],
        help_text=_("Handling time: the fewest contacts today; low scores: how many low answers; "
                    "complaints: how many; SLA at risk: fires above this many tickets."))
    factor = models.DecimalField(
        _("factor"), max_digits=5, decimal_places=2, default=Decimal("2.00"),
        validators=[MinValueValidator(Decimal("1.00")), MaxValueValidator(Decimal("100"))],
        help_text=_("Handling time only: fires when today's average is above this many times the person's norm."))
    max_score = models.PositiveSmallIntegerField(
        _("low score (at most)"), default=2, validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("Low scores only: an answer with overall satisfaction at or below this is low."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("created by"))

    class Meta:
        ordering = ["kind", "name", "pk"]
        verbose_name = _("anomaly rule")
        verbose_name_plural = _("anomaly rules")
        permissions = [
            ("view_board", _("Can see the live monitoring board")),
            ("view_all_teams", _("Can see every team on the live monitoring board")),
            ("manage_rules", _("Can tune anomaly rules")),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=["handling_time", "low_scores", "valid_complaint",
                                                                 "sla_at_risk"]), name="anomalyrule_kind_valid"),
            models.CheckConstraint(condition=models.Q(factor__gte=1), name="anomalyrule_factor_min"),
            models.CheckConstraint(condition=models.Q(max_score__gte=1, max_score__lte=5),
                                   name="anomalyrule_max_score_range"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.kind in (self.Kind.LOW_SCORES, self.Kind.VALID_COMPLAINT) and not self.threshold:
            raise ValidationError({"threshold": _("At least 1: a rule that fires on nothing would fire for everyone.")})

    def summary(self) -> str:
        """The rule in one sentence, with its numbers."""
        k = self.Kind
        if self.kind == k.HANDLING_TIME:
            return _("Average handling time today above %(factor)s× the person's %(days)s-day norm, "
                     "with at least %(n)s contacts today") % {"factor": self.factor.normalize(), "days": norm_days(),
                                                              "n": self.threshold}
        if self.kind == k.LOW_SCORES:
            return _("At least %(n)s survey answers today with overall score %(s)s or lower") % {
                "n": self.threshold, "s": self.max_score}
        if self.kind == k.VALID_COMPLAINT:
            return _("At least %(n)s valid complaints today") % {"n": self.threshold}
        return _("More than %(n)s open tickets at risk of missing their SLA") % {"n": self.threshold}


class AnomalyRuleEvent(models.Model):
    """Who changed a rule, when, before → after (every action by a named person is recorded)."""

    rule = models.ForeignKey(AnomalyRule, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=20)  # created / changed
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    created_at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("anomaly rule change")
        verbose_name_plural = _("anomaly rule changes")


class AlertFiring(models.Model):
    """One rule fired for one person on one local day: the unique (rule, person, day) row is what makes
    the bell ring once per person per rule per day, even when two evaluations run at once."""

    rule = models.ForeignKey(AnomalyRule, on_delete=models.CASCADE, related_name="firings")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    fired_at = models.DateTimeField(_("fired at"))
    # The figures that made it fire, for the message (rendered in the reader's language: ALERT_MESSAGES).
    params = models.JSONField(_("what was seen"), default=dict, blank=True)
    # Which evaluation run wrote the row: a run notifies only for the rows it inserted itself.
    run = models.UUIDField(editable=False)

    class Meta:
        ordering = ["-fired_at", "-pk"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [models.UniqueConstraint(fields=["rule", "person", "day"], name="alertfiring_once_per_day")]
        indexes = [models.Index(fields=["day", "person"], name="alertfiring_day_person_idx"),
                   models.Index(fields=["run"], name="alertfiring_run_idx")]

    def __str__(self):
        return f"{self.rule_id} {self.person_id} {self.day}"

    def text(self) -> str:
        """What was seen, in the active language."""
        message = ALERT_MESSAGES.get(self.rule.kind)
        try:
            return str(message) % self.params if message else ""
        except (KeyError, TypeError, ValueError):
            return ""


# One message per kind; the person and the figures are params, so each reader gets their own language.
ALERT_MESSAGES = {
    AnomalyRule.Kind.HANDLING_TIME: _("%(person)s: average handling time today %(today)s min, above %(factor)s× "
                                      "their %(days)s-day norm of %(norm)s min (%(n)s contacts today)."),
    AnomalyRule.Kind.LOW_SCORES: _("%(person)s: %(n)s survey answers today scored %(score)s or lower."),
    AnomalyRule.Kind.VALID_COMPLAINT: _("%(person)s: %(n)s valid complaints today."),
    AnomalyRule.Kind.SLA_AT_RISK: _("%(person)s: %(n)s open tickets at risk of missing their SLA (the rule allows %(limit)s)."),
}
