from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from servicedesk import roles

        from .models import CustomerTier
        from .tiers import TABLE

        # Per-person intake figures are staff performance: supervisors and managers only (domain.md §1).
        for role in (roles.SUPERVISOR, roles.MANAGER):
            roles.extend_role(role, ["customers.view_staff_intake"])
        # Issue 17: managers add, rename, reorder and retire customer tiers in the administration, like the
        # other lookups (fault causes, departments, contract levels). Nobody deletes one: retire it.
        roles.extend_role(roles.MANAGER, ["customers.view_customertier", "customers.add_customertier",
                                          "customers.change_customertier"])
        # Issue 19 (PIPL): managers see personal data in bulk (lists, reports, exports) and the access log.
        roles.extend_role(roles.MANAGER, ["customers.view_personal_data", "customers.view_personaldataaccess",
                                          "customers.handle_subject_request", "customers.manage_retention",
                                          "customers.import_customers"])

        # The tiers table is kept per thread while the shared version token is unchanged (customers.tiers):
        # each request and task checks the token (no query); saving or deleting a tier sets a new one.
        TABLE.connect(CustomerTier, uid="customers.tiers")
