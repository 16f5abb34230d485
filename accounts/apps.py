from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and sign-in")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from servicedesk import roles

        from . import services

        # Supervisors and managers may lift a sign-in lockout; managers decide who must use two-step sign-in.
        unlock = ["accounts.unlock_login"]
        roles.extend_role(roles.SUPERVISOR, unlock)
        # Managers also remove a lost phone's authenticator (admin → TOTP devices) so the person can enrol again.
        roles.extend_role(roles.MANAGER, [*unlock, "accounts.view_accountsettings", "accounts.change_accountsettings",
                                          "otp_totp.view_totpdevice", "otp_totp.delete_totpdevice"])
        user_logged_in.connect(services.session_mark_two_factor_state, dispatch_uid="accounts_two_factor_state")
