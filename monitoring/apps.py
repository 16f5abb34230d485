from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = _("Live monitoring")

    def ready(self):
        from servicedesk import roles

        # issue 18 §4: supervisors watch their own team live; managers every team, and tune the rules.
        roles.extend_role(roles.SUPERVISOR, ["monitoring.view_board"])
        roles.extend_role(roles.MANAGER, ["monitoring.view_board", "monitoring.view_all_teams",
                                          "monitoring.manage_rules"])
