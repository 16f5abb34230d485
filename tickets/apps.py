from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _flow_triggers_ensure(sender, using="default", **kwargs):
    """The monthly report's ticket-flow rollup is kept by triggers (tickets/flow_sql.py): after a migrate, make sure
    they are there (a migration that rebuilds the tickets table on SQLite drops them)."""
    from django.db import connections

    from . import flow_sql

    connection = connections[using]
    if "tickets_ticketflowdelta" in connection.introspection.table_names():
        flow_sql.ensure(connection)


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self):
        from servicedesk import outbox, preferences, roles

        from . import services

        outbox.register(services.REPLY_MESSAGE, services.reply_delivery_marked)

        from django.db.models.signals import post_migrate

        from . import selectors
        from .models import Tag

        post_migrate.connect(_flow_triggers_ensure, sender=self, dispatch_uid="tickets.flow_triggers")

        selectors.TAGS.connect(Tag, uid="tickets.tags")

        # Front desk opens tickets, reads them and answers the customer; it does not work or resolve
        # them and never decides complaints. Technicians get nothing here (they see work orders only).
        desk = ["tickets.view_ticket", "tickets.add_ticket", "tickets.reply_ticket", "tickets.add_ticketattachment",
                "tickets.tag_ticket"]
        work = [*desk, "tickets.change_ticket", "tickets.work_ticket", "tickets.view_complaint_register",
                "tickets.view_complaint", "tickets.change_complaint",
                # Issue 19: whoever works tickets merges a customer's duplicate into the one that goes on.
                "tickets.merge_ticket"]
        # Issue 19: everyone who opens or works tickets tags them from the managed list; supervisors may
        # also add a new tag while tagging, and managers curate the list (rename, colour, retire).
        supervise = [*work, "tickets.reassign_ticket", "tickets.approve_complaint", "tickets.export_complaints",
                     "tickets.add_tag"]
        manage = [*supervise, "tickets.view_ticketsettings", "tickets.change_ticketsettings",
                  "tickets.view_faultcause", "tickets.add_faultcause", "tickets.change_faultcause",
                  "tickets.view_department", "tickets.add_department", "tickets.change_department",
                  "tickets.view_complainthandoff", "tickets.view_tag", "tickets.change_tag"]
        roles.extend_role(roles.FRONT_DESK, desk)
        roles.extend_role(roles.AGENT, work)
        roles.extend_role(roles.SUPERVISOR, supervise)
        roles.extend_role(roles.MANAGER, manage)

        # Issue 17: the green channel (a key account's fault reaches its account manager at once) and
        # 首问责任制 (the first-inquiry owner hears of progress made by others).
        preferences.KINDS.setdefault(services.KEY_ACCOUNT_FAULT, (
            _("A fault reported by a key account I manage"),
            {roles.FRONT_DESK, roles.AGENT, roles.SUPERVISOR, roles.MANAGER}, preferences.NotificationChannel.BOTH))
        preferences.KINDS.setdefault(services.FIRST_INQUIRY_PROGRESS, (
            _("Progress on tickets I first took"), {roles.FRONT_DESK, roles.AGENT, roles.SUPERVISOR},
            preferences.NotificationChannel.BELL))

        # Issue 17, departments that answer for complaints: a hand-off reaches the department's head and
        # members (any staff role may be a member), a refusal or findings reach the supervisors, and
        # every complaint's result reaches the general manager.
        preferences.KINDS.setdefault(services.DEPARTMENT_HANDOFF, (
            _("A complaint handed to my department"),
            {roles.FRONT_DESK, roles.AGENT, roles.SUPERVISOR, roles.TECHNICIAN, roles.MANAGER},
            preferences.NotificationChannel.BOTH))
        preferences.KINDS.setdefault(services.DEPARTMENT_ANSWER, (
            _("A department refused a complaint or reported its findings"),
            {roles.AGENT, roles.SUPERVISOR, roles.MANAGER}, preferences.NotificationChannel.BOTH))
        preferences.KINDS.setdefault(services.COMPLAINT_RESULT, (
            _("The result of a complaint sent to the customer (general manager)"),
            {roles.SUPERVISOR, roles.MANAGER}, preferences.NotificationChannel.BOTH))
