from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ServicedeskConfig(AppConfig):
    name = "servicedesk"
    verbose_name = _("Service desk")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        # security connects the idle-timeout login stamp; params registers the overflow-safe `in` lookup
        from . import outbox, params, roles, security, services  # noqa: F401
        from .middleware import activate_staff_language

        # A person's stored language is the session's from the moment they sign in (issue 11 item 6).
        user_logged_in.connect(activate_staff_language, dispatch_uid="servicedesk.staff_language")
        outbox.register(services.NOTIFICATION_EMAIL, services.notification_email_marked)
        # Managers see the messages the outbox gave up on, and send them again.
        roles.extend_role(roles.MANAGER, ["servicedesk.view_outboxmessage", "servicedesk.change_outboxmessage"])

        # Groups and their permissions are kept in step with roles.py after every migrate
        # (permissions only exist after post_migrate, so a data migration cannot do this).
        post_migrate.connect(roles.sync_roles_after_migrate, dispatch_uid="servicedesk.sync_roles")


class ServiceDeskAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with ServiceDeskAdminSite as admin.site (servicedesk/admin_site.py)."""

    default = False  # named in INSTALLED_APPS; ServicedeskConfig is this module's default
    default_site = "servicedesk.admin_site.ServiceDeskAdminSite"
