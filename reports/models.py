"""Reports: exports (each one logged), scheduled subscriptions and their exactly-once deliveries."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _, pgettext_lazy


class Frequency(models.TextChoices):
    DAY = "day", _("Daily")
    WEEK = "week", _("Weekly")
    MONTH = "month", _("Monthly")


class ReportExport(models.Model):
    """One export a person asked for. The row is also the audit log: who exported what, when
    (domain.md §2: customer data is confidential, exports are logged)."""

    class Format(models.TextChoices):
        CSV = "csv", _("CSV")
        XLSX = "xlsx", _("Excel (.xlsx)")

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("export status", "Waiting")
        RUNNING = "running", pgettext_lazy("export status", "Running")
        DONE = "done", _("Ready")
        FAILED = "failed", pgettext_lazy("export status", "Failed")

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"),
                                      on_delete=models.PROTECT, related_name="report_exports")
    table = models.CharField(_("table"), max_length=40)
    fmt = models.CharField(_("format"), max_length=4, choices=Format.choices)
    params = models.JSONField(_("parameters"), default=dict)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    file = models.FileField(_("file"), upload_to="reports/exports/%Y/%m/", blank=True)
    row_count = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("report export")
        verbose_name_plural = _("report exports")
        permissions = [
            ("view_reports", _("Can see the department reports")),
            ("export_reports", _("Can export report tables")),
            ("download_any_export", _("Can download exports requested by others")),
        ]
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="reportexport_user_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="reportexport_progress_pct"),
        ]

    def __str__(self):
        return f"{self.table}.{self.fmt} · {self.requested_by} · {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def table_title(self) -> str:
        """The table's name in words (reports.services.TABLE_TITLES)."""
        from .services import TABLE_TITLES

        return str(TABLE_TITLES.get(self.table, self.table))


class ReportExportDownload(models.Model):
    """Every download of an export file (who fetched the confidential data, when)."""

    export = models.ForeignKey(ReportExport, on_delete=models.CASCADE, related_name="downloads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["-at"]
        verbose_name = _("export download")
        verbose_name_plural = _("export downloads")


class ReportSubscription(models.Model):
    """A person receives the key figures by email once per day, week or month (set up by a manager)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE,
                             related_name="report_subscriptions")
    frequency = models.CharField(_("frequency"), max_length=5, choices=Frequency.choices)
    sections = models.JSONField(_("sections"), default=list)
    team = models.ForeignKey("servicedesk.Team", verbose_name=_("team"), on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="+")
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["user__username", "frequency"]
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")
        constraints = [
            models.UniqueConstraint(fields=["user", "frequency"], name="reportsubscription_one_per_frequency"),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_frequency_display()}"


class ReportDelivery(models.Model):
    """One period's email for one subscription. The row is claimed BEFORE sending: the unique
    (subscription, period_start) makes it exactly once, whoever runs the beat task and however late."""

    class Status(models.TextChoices):
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", pgettext_lazy("export status", "Failed")

    subscription = models.ForeignKey(ReportSubscription, on_delete=models.CASCADE, related_name="deliveries")
    period_start = models.DateTimeField(_("period start"))
    period_end = models.DateTimeField(_("period end"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.SENDING)
    attempts = models.PositiveSmallIntegerField(default=1)
    claimed_at = models.DateTimeField(_("claimed at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        ordering = ["-period_start"]
        verbose_name = _("report delivery")
        verbose_name_plural = _("report deliveries")
        constraints = [
            models.UniqueConstraint(fields=["subscription", "period_start"], name="reportdelivery_once_per_period"),
        ]

    def __str__(self):
        return f"{self.subscription_id} {self.period_start:%Y-%m-%d}"
