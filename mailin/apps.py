from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailinConfig(AppConfig):
    name = "mailin"
    verbose_name = _("E-mail intake")

    def ready(self):
        from servicedesk import roles

        roles.extend_role(roles.MANAGER, ["mailin.manage_mailboxes"])
