from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from servicedesk import roles

        # Per-person intake figures are staff performance: supervisors and managers only (domain.md §1).
        for role in (roles.SUPERVISOR, roles.MANAGER):
            roles.extend_role(role, ["customers.view_staff_intake"])
