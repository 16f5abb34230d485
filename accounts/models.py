from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountSettings(models.Model):
    """Sign-in rules a manager edits in the admin (one row, created on first read), like TicketSettings."""

    require_2fa_supervisor = models.BooleanField(
        _("require two-step sign-in for supervisors"), default=False,
        help_text=_("Supervisors without an authenticator app are sent to set one up before anything else."),
    )
    require_2fa_manager = models.BooleanField(
        _("require two-step sign-in for managers"), default=False,
        help_text=_("Managers without an authenticator app are sent to set one up before anything else."),
    )

    class Meta:
        verbose_name = _("sign-in settings")
        verbose_name_plural = _("sign-in settings")
        permissions = [("unlock_login", _("Can unlock sign-ins locked after failed attempts"))]

    def __str__(self):
        return str(_("Sign-in settings"))

    @classmethod
    def current(cls) -> "AccountSettings":
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj
