from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = _("Field dispatch")

    def ready(self):
        from servicedesk import roles

        roles.extend_role(roles.TECHNICIAN, ["dispatch.work_on_jobs"])
        roles.extend_role(roles.AGENT, ["dispatch.view_workorder", "dispatch.add_workorder"])
        supervision = [
            "dispatch.view_workorder",
            "dispatch.add_workorder",
            "dispatch.change_workorder",
            "dispatch.view_board",
            "dispatch.force_dispatch",
            "dispatch.override_stock",
            "dispatch.view_technician",
            "dispatch.view_part",
            "dispatch.view_stocklevel",
        ]
        roles.extend_role(roles.SUPERVISOR, supervision)
        roles.extend_role(
            roles.MANAGER,
            [
                *supervision,
                "dispatch.view_dispatchsettings",
                "dispatch.change_dispatchsettings",
                "dispatch.add_peakseason",
                "dispatch.change_peakseason",
                "dispatch.delete_peakseason",
                "dispatch.add_technician",
                "dispatch.change_technician",
                "dispatch.add_leaveday",
                "dispatch.change_leaveday",
                "dispatch.delete_leaveday",
                "dispatch.view_leaveday",
                "dispatch.add_skill",
                "dispatch.change_skill",
                "dispatch.view_skill",
                "dispatch.add_part",
                "dispatch.change_part",
                "dispatch.change_stocklevel",
                "dispatch.add_stocklevel",
            ],
        )
