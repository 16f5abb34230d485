from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = _("Service levels")

    def ready(self):
        from servicedesk import roles
        from tickets import signals as ticket_signals

        from . import receivers

        roles.extend_role(roles.FRONT_DESK, ["sla.view_slaclock"])
        roles.extend_role(roles.AGENT, ["sla.view_slaclock"])
        roles.extend_role(roles.SUPERVISOR, ["sla.view_slaclock", "sla.view_dashboard"])
        roles.extend_role(roles.MANAGER, ["sla.view_slaclock", "sla.view_dashboard", "sla.manage_sla"])

        ticket_signals.ticket_opened.connect(receivers.on_ticket_opened, dispatch_uid="sla.opened")
        ticket_signals.ticket_status_changed.connect(receivers.on_status_changed, dispatch_uid="sla.status")
        ticket_signals.ticket_first_response.connect(receivers.on_first_response, dispatch_uid="sla.first_response")
        ticket_signals.ticket_changed.connect(receivers.on_ticket_changed, dispatch_uid="sla.changed")
        ticket_signals.complaint_milestone.connect(receivers.on_complaint_milestone, dispatch_uid="sla.milestone")
        ticket_signals.complaint_handoff.connect(receivers.on_complaint_handoff, dispatch_uid="sla.handoff")
        receivers.connect_calendar_invalidation()
        from .calendars import CALENDARS
        from .models import BusinessCalendar, SLAPolicy, SLATarget
        from .services import POLICIES

        # Kept per thread across requests (servicedesk.shared_memo); renewed by any save, delete or bulk write.
        POLICIES.connect(SLAPolicy, SLATarget, uid="sla.policies")
        CALENDARS.connect(BusinessCalendar, uid="sla.calendars")
        receivers.connect_calendar_revision()
