"""Service contracts, renewal reminders and customer care dates (issue 17)."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

RENEWAL_TASK = "renewal_task"
RENEWAL_NOTICE = "renewal_notice"


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = _("Service contracts")

    def ready(self):
        from servicedesk import preferences, roles

        # The two bells of the renewal reminders: a task to do (60 days ahead by default) and a notice
        # (7 days ahead). Account managers are agents, supervisors or managers; supervisors also get the
        # reminders of customers with no account manager.
        staff = {roles.AGENT, roles.SUPERVISOR, roles.MANAGER}
        preferences.KINDS.setdefault(RENEWAL_TASK, (_("Renewal tasks (contract or warranty ending)"), staff,
                                                    preferences.NotificationChannel.BOTH))
        preferences.KINDS.setdefault(RENEWAL_NOTICE, (_("Renewal notices (contract or warranty ending soon)"), staff,
                                                      preferences.NotificationChannel.BELL))

        # Who does what (README "Service contracts and renewals"):
        # - agents, supervisors and managers read every contract; the front desk and technicians none;
        # - an agent adds and changes contracts only for customers they are the account manager of;
        #   supervisors and managers for any customer (manage_all_contracts);
        # - "My renewals" and "Care dates" for agents, supervisors and managers; supervisors and managers
        #   choose any account manager (view_all_renewals);
        # - managers edit levels, reminder rules and message wording in the administration.
        own = ["contracts.view_servicecontract", "contracts.add_servicecontract", "contracts.change_servicecontract",
               "contracts.view_renewals"]
        roles.extend_role(roles.AGENT, own)
        roles.extend_role(roles.SUPERVISOR, [*own, "contracts.manage_all_contracts", "contracts.view_all_renewals"])
        roles.extend_role(roles.MANAGER, [
            *own, "contracts.manage_all_contracts", "contracts.view_all_renewals",
            "contracts.view_contractlevel", "contracts.add_contractlevel", "contracts.change_contractlevel",
            "contracts.view_reminderrule", "contracts.add_reminderrule", "contracts.change_reminderrule",
            "contracts.view_contractsettings", "contracts.change_contractsettings", "contracts.view_reminder",
        ])
