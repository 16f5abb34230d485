from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("API")

    def ready(self):
        from servicedesk import roles

        from . import authentication  # noqa: F401  (registers the Bearer scheme with drf-spectacular)

        roles.extend_role(roles.MANAGER, ["api.manage_tokens"])
