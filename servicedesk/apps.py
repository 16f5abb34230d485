from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ServicedeskConfig(AppConfig):
    name = "servicedesk"
    verbose_name = _("Service desk")

    def ready(self):
        from . import params, roles  # noqa: F401 — params registers the overflow-safe `in` lookup

        # Groups and their permissions are kept in step with roles.py after every migrate
        # (permissions only exist after post_migrate, so a data migration cannot do this).
        post_migrate.connect(roles.sync_roles_after_migrate, dispatch_uid="servicedesk.sync_roles")
