from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from servicedesk import outbox, roles

        from . import services

        outbox.register(services.REPORT_MESSAGE, services.report_delivery_marked)

        # Supervisors and managers read the reports and export their tables (domain.md §1, §8);
        # only managers run subscriptions and may fetch another person's export file.
        read = ["reports.view_reports", "reports.export_reports"]
        roles.extend_role(roles.SUPERVISOR, read)
        roles.extend_role(roles.MANAGER, [
            *read,
            "reports.download_any_export",
            "reports.view_reportsubscription",
            "reports.add_reportsubscription",
            "reports.change_reportsubscription",
            "reports.delete_reportsubscription",
        ])
