"""The PDCA register of improvement actions (issue 17 item 9)."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _, pgettext_lazy

UNFINISHED = ["plan", "do", "check", "act"]


class ImprovementAction(models.Model):
    """A problem found, the measure taken against it, its owner and due date, moving plan → do → check → act →
    done (or dropped with a reason). `month` is the month the action is being worked in: an unfinished action
    is carried to the next month at month end (ActionCarryOver, once per action per month)."""

    class Status(models.TextChoices):
        PLAN = "plan", pgettext_lazy("PDCA", "Plan")
        DO = "do", pgettext_lazy("PDCA", "Do")
        CHECK = "check", pgettext_lazy("PDCA", "Check")
        ACT = "act", pgettext_lazy("PDCA", "Act")
        DONE = "done", pgettext_lazy("improvement action", "Done")
        DROPPED = "dropped", pgettext_lazy("improvement action", "Dropped")

    problem = models.TextField(_("problem"), max_length=2000)
    measure = models.TextField(_("measure"), max_length=2000)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT,
                              related_name="improvement_actions")
    due_date = models.DateField(_("due date"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLAN)
    drop_reason = models.CharField(_("why it was dropped"), max_length=500, blank=True)
    first_month = models.DateField(_("month opened"))  # first day of the local month it was created in
    month = models.DateField(_("month"))  # first day of the month it is being worked in (carried forward)
    done_at = models.DateTimeField(_("finished at"), null=True, blank=True)  # done or dropped
    overdue_notified_at = models.DateTimeField(_("owner told it is overdue at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    # What revealed the problem (any, several or none).
    complaints = models.ManyToManyField("tickets.Ticket", verbose_name=_("complaints"), blank=True, related_name="+")
    survey_responses = models.ManyToManyField("followups.SurveyResponse", verbose_name=_("survey responses"),
                                              blank=True, related_name="+")
    findings = models.ManyToManyField("quality.Finding", verbose_name=_("quality findings"), blank=True,
                                      related_name="+")
    fault_cause = models.ForeignKey("tickets.FaultCause", verbose_name=_("recurring fault cause"),
                                    on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("improvement action")
        verbose_name_plural = _("improvement actions")
        permissions = [("manage_action", _("Can create and edit improvement actions"))]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=["plan", "do", "check", "act", "done", "dropped"]),
                                   name="improvementaction_status_valid"),
            models.CheckConstraint(condition=~models.Q(status="dropped") | ~models.Q(drop_reason=""),
                                   name="improvementaction_dropped_has_reason"),
        ]
        indexes = [
            models.Index(fields=["month", "-id"], name="improvement_month_idx"),
            models.Index(fields=["owner", "status"], name="improvement_owner_idx"),
            # the month-end carry-over reads unfinished actions still in an earlier month
            models.Index(fields=["month"], name="improvement_carry_due_idx",
                         condition=models.Q(status__in=UNFINISHED)),
            # the overdue bell reads unfinished actions past due not yet announced
            models.Index(fields=["due_date"], name="improvement_overdue_due_idx",
                         condition=models.Q(status__in=UNFINISHED, overdue_notified_at__isnull=True)),
        ]

    def __str__(self):
        return f"#{self.pk} {self.problem[:60]}"

    @property
    def is_open(self) -> bool:
        return self.status in UNFINISHED


class ActionCarryOver(models.Model):
    """An unfinished action carried from one month into the next: once per action per month (the constraint)."""

    action = models.ForeignKey(ImprovementAction, on_delete=models.CASCADE, related_name="carry_overs")
    from_month = models.DateField(_("from month"))
    to_month = models.DateField(_("to month"))
    status = models.CharField(_("status"), max_length=10)  # the status it was carried in
    carried_at = models.DateTimeField(_("carried at"))

    class Meta:
        verbose_name = _("carry-over")
        verbose_name_plural = _("carry-overs")
        constraints = [models.UniqueConstraint(fields=["action", "to_month"], name="improvement_carry_once")]
        indexes = [models.Index(fields=["from_month"], name="improvement_carry_from_idx")]


class ActionEvent(models.Model):
    """The action's history: created, edited, status moves, carried over, overdue."""

    action = models.ForeignKey(ImprovementAction, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    at = models.DateTimeField(_("at"))
    detail = models.JSONField(_("details"), default=dict, blank=True)

    KIND_LABELS = {
        "created": _("created"), "edited": _("edited"), "status": _("status changed"),
        "carried_over": _("carried over to the next month"), "overdue": _("overdue: owner told"),
    }

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("action event")
        verbose_name_plural = _("action events")

    @property
    def kind_label(self):
        return self.KIND_LABELS.get(self.kind, self.kind)

    def _shown(self, key):
        value = (self.detail or {}).get(key)
        if self.kind in ("created", "status") and value in ImprovementAction.Status.values:
            return ImprovementAction.Status(value).label
        return value

    @property
    def before_shown(self):
        return self._shown("before")

    @property
    def after_shown(self):
        return self._shown("after")
