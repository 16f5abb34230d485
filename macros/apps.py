from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MacrosConfig(AppConfig):
    """Canned replies and macros (issue 19 item 1): reply templates with variables, in both languages,
    and macros that apply a template plus ticket actions in one step through the tickets services."""

    name = "macros"
    verbose_name = _("Canned replies and macros")

    def ready(self):
        from servicedesk import roles

        # Everyone who answers customers keeps personal canned replies (the view checks
        # tickets.reply_ticket); managers curate the shared ones the whole department uses.
        roles.extend_role(roles.MANAGER, ["macros.manage_shared_macros", "macros.view_macro"])
