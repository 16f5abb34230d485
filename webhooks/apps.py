from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        from dispatch.signals import workorder_closed
        from followups.signals import survey_answered
        from servicedesk import roles
        from servicedesk.models import KIND_LABELS
        from sla.signals import clocks_breached
        from tickets import signals as ticket_signals

        from . import services

        # Receivers write outbox rows in the cause's transaction (services.events_emit).
        ticket_signals.ticket_opened.connect(services.on_ticket_opened, dispatch_uid="webhooks.opened")
        ticket_signals.ticket_status_changed.connect(services.on_ticket_status_changed, dispatch_uid="webhooks.status")
        clocks_breached.connect(services.on_clocks_breached, dispatch_uid="webhooks.breached")
        workorder_closed.connect(services.on_workorder_closed, dispatch_uid="webhooks.workorder_closed")
        survey_answered.connect(services.on_survey_answered, dispatch_uid="webhooks.survey_answered")
        roles.extend_role(roles.MANAGER, ["webhooks.manage_webhooks"])
        from .models import Webhook

        services.SUBSCRIPTIONS.connect(Webhook, uid="webhooks.subscriptions")
        # The manager's "undeliverable messages" page names the kind in words.
        KIND_LABELS.setdefault(services.KIND, _("Webhook delivery"))
