"""Follow-up callbacks (回访) and satisfaction surveys (满意度调查), domain.md §6."""
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _, pgettext_lazy


class DissatisfiedAction(models.TextChoices):
    REOPEN = "reopen", _("Reopen the ticket")
    COMPLAINT = "complaint", _("Open a complaint")
    NONE = "none", _("No ticket action")


class FollowupPolicy(models.Model):
    """The department's defaults for callbacks and surveys; one row, edited by managers.

    Every number here is a default from domain.md §6 that a manager may change.
    """

    repair_delay_working_days = models.PositiveSmallIntegerField(
        _("callback after a repair (working days)"), default=2, validators=[MinValueValidator(0), MaxValueValidator(30)]
    )
    installation_delay_working_days = models.PositiveSmallIntegerField(
        _("callback after an installation (working days)"), default=2,
        validators=[MinValueValidator(0), MaxValueValidator(30)],
        help_text=_("Counted from the customer's sign-off of the installation. The department's rule is 2–3 days."),
    )
    complaint_delay_working_hours = models.PositiveSmallIntegerField(
        _("return visit after a complaint's resolution (working hours)"), default=4,
        validators=[MaxValueValidator(200)],
    )
    max_attempts = models.PositiveSmallIntegerField(
        _("attempts before unreachable"), default=3, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    retry_delay_working_hours = models.PositiveSmallIntegerField(
        _("retry after no answer (working hours)"), default=4, validators=[MinValueValidator(1), MaxValueValidator(40)],
        help_text=_("4 working hours is the next working half-day."),
    )
    problem_answer_working_days = models.PositiveSmallIntegerField(
        _("answer a problem raised in a callback within (working days)"), default=5,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )
    key_account_interval_months = models.PositiveSmallIntegerField(
        _("key-account callback every (months)"), default=1, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    dissatisfied_action = models.CharField(
        _("default action when the customer is not satisfied"), max_length=10,
        choices=DissatisfiedAction.choices, default=DissatisfiedAction.REOPEN,
    )
    low_overall_max = models.PositiveSmallIntegerField(
        _("low score: overall at most"), default=2, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    low_recommend_max = models.PositiveSmallIntegerField(
        _("low score: recommendation at most"), default=6, validators=[MaxValueValidator(10)]
    )
    survey_expiry_days = models.PositiveSmallIntegerField(
        _("survey link valid for (days)"), default=14, validators=[MinValueValidator(1), MaxValueValidator(90)]
    )
    # Weighted satisfaction index (domain.md §6 defaults); see selectors.WEIGHT_MAPPING for what
    # each weight measures on the survey.
    weight_responsiveness = models.PositiveSmallIntegerField(_("weight: responsiveness"), default=20)
    weight_service_quality = models.PositiveSmallIntegerField(_("weight: service quality"), default=30)
    weight_product = models.PositiveSmallIntegerField(_("weight: product"), default=25)
    weight_support_effect = models.PositiveSmallIntegerField(_("weight: support effect"), default=15)
    weight_recommendation = models.PositiveSmallIntegerField(_("weight: recommendation"), default=10)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("follow-up policy")
        verbose_name_plural = _("follow-up policies")

    def __str__(self):
        return str(_("Follow-up policy"))


class Callback(models.Model):
    """A scheduled call to a customer: who calls, when, why, and what came of it."""

    class Reason(models.TextChoices):
        AFTER_REPAIR = "after_repair", _("After a repair")
        AFTER_INSTALLATION = "after_installation", _("After an installation")
        COMPLAINT_RETURN_VISIT = "after_complaint_return_visit", _("Complaint return visit")
        KEY_ACCOUNT = "key_account_periodic", _("Key account (periodic)")
        MANUAL = "manual", _("Scheduled by hand")
        SURVEY_LOW_SCORE = "survey_low_score", _("Low survey score")
        CALLBACK_PROBLEM = "callback_problem", _("Problem raised in a callback")
        CUSTOMER_REQUEST = "customer_request", _("Asked for by the customer online")

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("callback status", "Pending")
        DONE = "done", pgettext_lazy("callback status", "Done")
        UNREACHABLE = "unreachable", _("Unreachable")
        CANCELLED = "cancelled", pgettext_lazy("callback status", "Cancelled")

    class Outcome(models.TextChoices):
        SATISFIED = "satisfied", _("Satisfied")
        NOT_SATISFIED = "not_satisfied", _("Not satisfied")

    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="callbacks")
    ticket = models.ForeignKey("tickets.Ticket", verbose_name=_("ticket"), on_delete=models.PROTECT, null=True,
                               blank=True, related_name="callbacks")
    work_order = models.ForeignKey("dispatch.WorkOrder", verbose_name=_("work order"), on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="callbacks")
    reason = models.CharField(pgettext_lazy("callback", "reason"), max_length=30, choices=Reason.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    due_at = models.DateTimeField(pgettext_lazy("callback", "due at"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT,
                              null=True, blank=True, related_name="callbacks")
    technician = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("technician"), on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    attempts = models.PositiveSmallIntegerField(_("attempts made"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("attempts allowed"), default=3)
    outcome = models.CharField(_("outcome"), max_length=15, choices=Outcome.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    # A problem the customer raised on the call must be answered in 5 working days (domain.md §6).
    problem = models.TextField(_("problem raised"), blank=True, max_length=5000)
    answer_due_at = models.DateTimeField(_("answer due at"), null=True, blank=True)
    # What the not-satisfied outcome led to (the ticket reopened, or a complaint opened).
    action_taken = models.CharField(_("action taken"), max_length=10, choices=DissatisfiedAction.choices, blank=True)
    follow_up_ticket = models.ForeignKey("tickets.Ticket", verbose_name=_("complaint opened"),
                                         on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    survey_response = models.OneToOneField("SurveyResponse", on_delete=models.SET_NULL, null=True, blank=True,
                                           related_name="callback")
    parent = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # First day of the month for key-account callbacks: one per customer per month (constraint).
    period = models.DateField(_("period"), null=True, blank=True)
    # When the owner should be reminded; NULL once reminded or closed (the sweep's partial index).
    next_reminder_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        ordering = ["due_at", "id"]
        permissions = [
            ("view_all_callbacks", _("Can see every agent's callbacks")),
            ("record_callback", _("Can record a callback's outcome")),
        ]
        indexes = [
            models.Index(fields=["next_reminder_at"], condition=Q(next_reminder_at__isnull=False),
                         name="callback_reminder_due_idx"),
            models.Index(fields=["owner", "due_at"], condition=Q(status="pending"), name="callback_owner_pending_idx"),
            models.Index(fields=["due_at"], condition=Q(status="pending"), name="callback_pending_due_idx"),
            models.Index(fields=["ticket"], name="callback_ticket_idx"),
            # The reports' callback figures: created by reports migration 0002 as raw SQL, declared here
            # since followups 0006 so SQLite's table rebuilds keep it.
            models.Index(fields=["due_at"], name="reports_callback_due_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["customer", "period"], condition=Q(reason="key_account_periodic"),
                                    name="callback_key_account_once_per_month"),
            # Ticket resolved and work order closed both ask for the repair callback: one pending is enough.
            models.UniqueConstraint(fields=["ticket", "reason"], name="callback_one_pending_auto_per_ticket",
                                    condition=Q(status="pending", reason__in=["after_repair", "after_installation",
                                                                               "after_complaint_return_visit"])),
            models.CheckConstraint(condition=Q(attempts__lte=models.F("max_attempts")),
                                   name="callback_attempts_within_max"),
        ]

    def __str__(self):
        return f"{self.get_reason_display()} · {self.customer}"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


class CallbackAttempt(models.Model):
    """One call: who rang, when, whether the customer answered, what they said."""

    class Result(models.TextChoices):
        REACHED = "reached", _("Reached")
        NO_ANSWER = "no_answer", _("No answer")

    callback = models.ForeignKey(Callback, on_delete=models.CASCADE, related_name="attempt_rows")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"))
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    outcome = models.CharField(_("outcome"), max_length=15, choices=Callback.Outcome.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=5000)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("callback attempt")
        verbose_name_plural = _("callback attempts")

    def __str__(self):
        return f"{self.get_result_display()} {self.at:%Y-%m-%d %H:%M}"


class CallbackReminder(models.Model):
    """Sent "your callback is due" once per callback and due moment (the constraint makes it once)."""

    callback = models.ForeignKey(Callback, on_delete=models.CASCADE, related_name="reminders")
    due_at = models.DateTimeField()  # stamped with the scheduled moment, not the sweep time
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["callback", "due_at"], name="callbackreminder_once")]


class CallbackDigest(models.Model):
    """The morning digest: at most one per owner per day."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "day"], name="callbackdigest_once_per_day")]


class SurveyInvitation(models.Model):
    """A survey link sent to a customer after a service; single-use, expiring (domain.md §6)."""

    class Delivery(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", pgettext_lazy("delivery status", "Sent")
        FAILED = "failed", pgettext_lazy("delivery status", "Failed")
        NO_ADDRESS = "no_address", _("No phone or email")

    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="survey_invitations")
    ticket = models.ForeignKey("tickets.Ticket", verbose_name=_("ticket"), on_delete=models.PROTECT, null=True,
                               blank=True, related_name="survey_invitations")
    work_order = models.ForeignKey("dispatch.WorkOrder", verbose_name=_("work order"), on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="survey_invitations")
    technician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    # A random value inside the signed token: the token can be revoked by changing it.
    nonce = models.CharField(max_length=32)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans")
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    delivery_status = models.CharField(_("delivery"), max_length=12, choices=Delivery.choices,
                                       default=Delivery.PENDING)
    delivery_channel = models.CharField(_("sent by"), max_length=20, blank=True)
    delivered_to = models.CharField(_("sent to"), max_length=254, blank=True)
    delivery_attempts = models.PositiveSmallIntegerField(default=0)
    delivery_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        constraints = [
            models.UniqueConstraint(fields=["ticket"], condition=Q(ticket__isnull=False),
                                    name="surveyinvitation_one_per_ticket"),
            models.UniqueConstraint(fields=["work_order"], condition=Q(work_order__isnull=False),
                                    name="surveyinvitation_one_per_workorder"),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="surveyinv_created_idx"),
        ]

    def __str__(self):
        return f"{self.customer} {self.created_at:%Y-%m-%d}"


SCORE_1_5 = [MinValueValidator(1), MaxValueValidator(5)]


class SurveyResponse(models.Model):
    """One customer's answers. Segment columns are copied from the ticket at answer time so the
    dashboard aggregates one table (200,000 rows in well under 200 ms) and keeps the picture of
    the moment (a later change of tier does not rewrite last year's figures)."""

    invitation = models.OneToOneField(SurveyInvitation, on_delete=models.PROTECT, related_name="response")
    overall = models.PositiveSmallIntegerField(_("overall satisfaction"), validators=SCORE_1_5)
    reliability = models.PositiveSmallIntegerField(_("reliability"), validators=SCORE_1_5)
    responsiveness = models.PositiveSmallIntegerField(_("responsiveness"), validators=SCORE_1_5)
    assurance = models.PositiveSmallIntegerField(_("professional skill"), validators=SCORE_1_5)
    empathy = models.PositiveSmallIntegerField(_("attitude"), validators=SCORE_1_5)
    tangibles = models.PositiveSmallIntegerField(_("appearance and tidiness"), validators=SCORE_1_5)
    recommend = models.PositiveSmallIntegerField(_("likelihood to recommend"),
                                                 validators=[MinValueValidator(0), MaxValueValidator(10)])
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    submitted_at = models.DateTimeField(_("submitted at"))
    month = models.DateField(_("month"))  # first day of the local month of submitted_at
    # Segments (denormalised, see docstring).
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    tier = models.CharField(_("service tier"), max_length=10, blank=True)
    region = models.ForeignKey("customers.Region", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    channel = models.CharField(_("channel"), max_length=12, blank=True)
    ticket_kind = models.CharField(_("ticket kind"), max_length=12, blank=True)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    technician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["-submitted_at", "-id"]
        permissions = [
            ("view_satisfaction", _("Can see the satisfaction dashboard")),
            ("export_satisfaction", _("Can export survey answers")),
            ("view_staff_performance", _("Can see staff performance")),
        ]
        indexes = [
            models.Index(fields=["month"], name="surveyresp_month_idx"),
            models.Index(fields=["-submitted_at", "-id"], name="surveyresp_submitted_idx"),
            models.Index(fields=["agent", "month"], name="surveyresp_agent_idx"),
            models.Index(fields=["technician", "month"], name="surveyresp_tech_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(overall__gte=1, overall__lte=5, reliability__gte=1, reliability__lte=5,
                                               responsiveness__gte=1, responsiveness__lte=5, assurance__gte=1,
                                               assurance__lte=5, empathy__gte=1, empathy__lte=5, tangibles__gte=1,
                                               tangibles__lte=5, recommend__gte=0, recommend__lte=10),
                                   name="surveyresponse_scores_in_range"),
        ]

    def __str__(self):
        return f"{self.overall}/5 · {self.recommend}/10"


class SatisfactionRollup(models.Model):
    """Running totals per month and segment, kept up to date as invitations go out and answers come
    in (services), so the dashboard reads a few hundred rows instead of every answer. `dimension` is
    "all" or a segment name (tier, region, channel, ticket_kind, agent, technician); `key` the
    segment's value as text ("" for "all" and for unknown). Rebuilt from the answers with
    services.satisfaction_rollup_rebuild() (bulk loads, repairs)."""

    month = models.DateField()
    dimension = models.CharField(max_length=12)
    key = models.CharField(max_length=40, blank=True)
    invited = models.PositiveIntegerField(default=0)
    n = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    promoters = models.PositiveIntegerField(default=0)
    detractors = models.PositiveIntegerField(default=0)
    sum_overall = models.PositiveIntegerField(default=0)
    sum_reliability = models.PositiveIntegerField(default=0)
    sum_responsiveness = models.PositiveIntegerField(default=0)
    sum_assurance = models.PositiveIntegerField(default=0)
    sum_empathy = models.PositiveIntegerField(default=0)
    sum_tangibles = models.PositiveIntegerField(default=0)
    sum_recommend = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dimension", "month", "key"], name="satrollup_cell_uniq")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.dimension}={self.key}: {self.n}"
