"""Maintenance plans and the visits they create (issue 17)."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MaintenanceConfig(AppConfig):
    name = "maintenance"
    verbose_name = _("Planned maintenance")

    def ready(self):
        from servicedesk import preferences, roles

        # A missed visit reaches the customer's account manager (any staff role) and the supervisors.
        preferences.KINDS.setdefault("maintenance_missed", (
            _("Missed maintenance visits"), {roles.AGENT, roles.SUPERVISOR, roles.MANAGER},
            preferences.NotificationChannel.BOTH))

        # Who sees plans: agents, supervisors, managers (technicians see their work orders; the front
        # desk does not plan). Who writes any plan: supervisors and managers. An account manager
        # (Customer.account_manager, whatever their role) writes the plans of their own accounts:
        # that rule needs the row, so it is in maintenance.access, not a permission.
        view = ["maintenance.view_maintenanceplan"]
        write = [*view, "maintenance.add_maintenanceplan", "maintenance.change_maintenanceplan"]
        roles.extend_role(roles.AGENT, view)
        roles.extend_role(roles.SUPERVISOR, write)
        roles.extend_role(roles.MANAGER, write)
