"""Requests that did not become business, confirmed twice, and their analysis (issue 17)."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = _("Lost and invalid leads")

    def ready(self):
        from servicedesk import preferences, roles
        from tickets.signals import ticket_status_changed

        from . import services

        ticket_status_changed.connect(services.on_ticket_status_changed, dispatch_uid="leads.ticket_status_changed")

        # Bells: the second confirmer's queue, and the handler's outcome sent back to correct.
        preferences.KINDS.setdefault("leads_to_confirm", (
            _("Lead outcomes to confirm"), {roles.SUPERVISOR, roles.MANAGER}, preferences.NotificationChannel.BELL))
        preferences.KINDS.setdefault("leads_returned", (
            _("Lead outcomes sent back to you"), {roles.AGENT, roles.FRONT_DESK, roles.SUPERVISOR},
            preferences.NotificationChannel.BELL))
        # Whoever handles requests records (first confirmation); the team supervisor or a manager confirms
        # (second confirmation, never the same person); they read the loss analysis.
        for role in (roles.AGENT, roles.FRONT_DESK):
            roles.extend_role(role, ["leads.record_lead"])
        for role in (roles.SUPERVISOR, roles.MANAGER):
            roles.extend_role(role, ["leads.record_lead", "leads.confirm_lead", "leads.view_loss_analysis"])

