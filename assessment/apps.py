from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "assessment"
    verbose_name = _("Staff assessment")

    def ready(self):
        from servicedesk import roles

        # Customer-service specialists (agents and the front desk) are scored every month; supervisors
        # see their team's results; managers run the cycle. Evaluators need no permission: they see
        # exactly the forms assigned to them.
        assessed = ["assessment.be_assessed"]
        roles.extend_role(roles.AGENT, assessed)
        roles.extend_role(roles.FRONT_DESK, assessed)
        roles.extend_role(roles.SUPERVISOR, ["assessment.view_team_results"])
        roles.extend_role(roles.MANAGER, [
            "assessment.view_team_results", "assessment.manage_cycle", "assessment.view_cycle",
            "assessment.change_formitem", "assessment.change_evaluatorkind", "assessment.change_assessmentsettings",
        ])
