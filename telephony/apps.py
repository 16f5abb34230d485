from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelephonyConfig(AppConfig):
    name = "telephony"
    verbose_name = _("Telephony")

    def ready(self):
        from servicedesk import roles

        # The call log: who was shown which call, and which calls nobody logged.
        roles.extend_role(roles.SUPERVISOR, ["telephony.view_call"])
        roles.extend_role(roles.MANAGER, ["telephony.view_call"])
