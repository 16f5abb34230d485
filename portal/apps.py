from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Customer pages")

    def ready(self):
        from dispatch.signals import workorder_booked
        from servicedesk import roles
        from tickets import signals as ticket_signals

        from . import services

        # After sla in INSTALLED_APPS: the clocks exist when the acknowledgement reads the promised time.
        ticket_signals.ticket_opened.connect(services.on_ticket_opened, dispatch_uid="portal.opened")
        ticket_signals.ticket_status_changed.connect(services.on_ticket_status_changed, dispatch_uid="portal.status")
        workorder_booked.connect(services.on_workorder_booked, dispatch_uid="portal.booked")
        roles.extend_role(roles.MANAGER, ["portal.manage_portal"])
