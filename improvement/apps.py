"""The PDCA register of improvement actions (issue 17)."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImprovementConfig(AppConfig):
    name = "improvement"
    verbose_name = _("Improvement actions")

    def ready(self):
        from servicedesk import preferences, roles

        # The owner's bell: an action given to them, and once when it is overdue.
        preferences.KINDS.setdefault("improvement_actions", (
            _("Improvement actions"), set(roles.ROLE_PERMISSIONS), preferences.NotificationChannel.BELL))
        # Everyone reads the register (any of them may own an action); supervisors and managers run it.
        for role in roles.ROLE_PERMISSIONS:
            roles.extend_role(role, ["improvement.view_improvementaction"])
        for role in (roles.SUPERVISOR, roles.MANAGER):
            roles.extend_role(role, ["improvement.manage_action"])
