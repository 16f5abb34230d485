from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "quality"
    verbose_name = _("Service quality")

    def ready(self):
        from servicedesk import preferences, roles

        # The bell kind for slips, findings and the daily sample (a person may choose e-mail instead).
        # Technicians still receive findings about their work orders in the bell; their preferences page
        # stays the two kinds it was (job offers, everything else).
        preferences.KINDS.setdefault("quality", (
            _("Demerit slips and quality inspection"),
            {roles.FRONT_DESK, roles.AGENT, roles.SUPERVISOR, roles.MANAGER}, preferences.C.BELL))

        # Everyone with a desk sees their own slips and findings (view_demeritslip) and answers them.
        own = ["quality.view_demeritslip"]
        # Supervisors record and withdraw slips for their team, inspect, and review findings.
        supervision = [*own, "quality.add_demeritslip", "quality.withdraw_demeritslip", "quality.view_team_quality",
                       "quality.inspect", "quality.overturn_finding"]
        for role in (roles.FRONT_DESK, roles.AGENT, roles.TECHNICIAN):
            roles.extend_role(role, own)
        roles.extend_role(roles.SUPERVISOR, supervision)
        roles.extend_role(roles.MANAGER, [
            *supervision, "quality.view_all_quality",
            "quality.view_demeritcategory", "quality.add_demeritcategory", "quality.change_demeritcategory",
            "quality.view_checklistitem", "quality.add_checklistitem", "quality.change_checklistitem",
            "quality.view_severitylevel", "quality.change_severitylevel",
        ])
