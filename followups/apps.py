from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupsConfig(AppConfig):
    name = "followups"
    verbose_name = _("Callbacks and surveys")

    def ready(self):
        from servicedesk import outbox, roles
        from tickets import signals as ticket_signals

        from . import delivery, services  # noqa: F401 — delivery registers the gateway-settings check

        outbox.register(services.SURVEY_MESSAGE, services.survey_delivery_marked)

        ticket_signals.ticket_status_changed.connect(services.on_ticket_status_changed,
                                                     dispatch_uid="followups.ticket_status_changed")
        ticket_signals.complaint_milestone.connect(services.on_complaint_milestone,
                                                   dispatch_uid="followups.complaint_milestone")
        try:  # dispatch is built concurrently: connect when its seam is there
            from dispatch.signals import workorder_closed
        except ImportError:
            pass
        else:
            workorder_closed.connect(services.on_workorder_closed, dispatch_uid="followups.workorder_closed")

        agent = ["followups.view_callback", "followups.add_callback", "followups.record_callback"]
        supervision = [*agent, "followups.view_all_callbacks", "followups.change_callback",
                       "followups.view_satisfaction", "followups.export_satisfaction",
                       "followups.view_staff_performance"]
        roles.extend_role(roles.AGENT, agent)
        roles.extend_role(roles.SUPERVISOR, supervision)
        roles.extend_role(roles.MANAGER, [*supervision, "followups.change_followuppolicy"])
