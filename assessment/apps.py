from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


FORMS_TO_FILL = "assessment_forms"


class AssessmentConfig(AppConfig):
    name = "assessment"
    verbose_name = _("Staff assessment")

    def ready(self):
        from servicedesk import preferences, roles

        # The bell kind for "your forms to fill" (registered here, as roles are, so the label and its
        # Chinese live in this app). The roles listed choose its channel on their preferences page;
        # an evaluator with no role (a department head) gets the default, the bell.
        preferences.KINDS.setdefault(FORMS_TO_FILL, (
            _("Assessment forms to fill"), {roles.AGENT, roles.FRONT_DESK, roles.SUPERVISOR, roles.MANAGER},
            preferences.NotificationChannel.BELL))

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
