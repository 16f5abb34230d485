"""Writes for sign-in protection: lifting lockouts, enrolling an authenticator app, the session's 2FA state."""
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import selectors

log = logging.getLogger(__name__)

MUST_ENROL_SESSION_KEY = "accounts_must_enrol"
PENDING_USER_SESSION_KEY = "accounts_pending_user"
PASSWORD_RESET_EMAIL = "account.password_reset"  # outbox kind


def session_mark_two_factor_state(sender, request, user, **kwargs) -> None:
    """On every sign-in: remember in the session whether this person must first set up two-step sign-in.

    Checked once here (not on every page) so pages keep their query counts; the enrolment middleware
    reads only the session.
    """
    session = getattr(request, "session", None)
    if session is None:
        return
    if selectors.two_factor_required(user) and selectors.confirmed_totp_device(user) is None:
        session[MUST_ENROL_SESSION_KEY] = True
    else:
        session.pop(MUST_ENROL_SESSION_KEY, None)


def login_unlock(*, kind: str, value: str, by) -> int:
    """Lift a lockout on a user name or a client address (supervisor or manager). Returns attempts removed."""
    from axes.utils import reset

    if kind == "username":
        removed = reset(username=value)
    elif kind == "ip_address":
        removed = reset(ip=value)
    else:
        raise ValidationError(_("Unknown kind of lockout."))
    log.info("Sign-in lockout lifted: %s=%r by %s (%d attempt records removed)", kind, value, by, removed)
    return removed


def totp_enrolment_start(*, user):
    """The user's unconfirmed authenticator device (created once, reused until confirmed)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
    return device


@transaction.atomic
def totp_enrolment_confirm(*, user, device, token: str) -> None:
    """Turn two-step sign-in on once the user proves their app shows the right code."""
    if device.user_id != user.pk or device.confirmed:
        raise ValidationError(_("This set-up is no longer valid. Start again."))
    if not device.verify_token((token or "").strip()):
        raise ValidationError(_("That code is not right. Check the time on your phone and enter the current code."))
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # One app per person: an older confirmed device would still open the account.
    type(device).objects.filter(user=user).exclude(pk=device.pk).delete()


def totp_remove(*, user) -> None:
    """Turn two-step sign-in off (refused while the person's role requires it)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if selectors.two_factor_required(user):
        raise ValidationError(_("Your role requires two-step sign-in; it cannot be turned off."))
    TOTPDevice.objects.filter(user=user).delete()


def password_reset_email_add(*, user, to: str, subject_template_name: str, email_template_name: str, context: dict,
                             html_email_template_name: str | None = None):
    """Queue one password-reset e-mail in the outbox (style.md §14: one way out of the database).

    Django's reset view would send it at once, so an SMTP outage would lose it without a trace; as an
    outbox row it is retried, and after every attempt failed it is on the manager's "undeliverable"
    list. Written in the recipient's language (their profile's) when they chose one, else in the
    language of the page they asked from — the person asking is usually the recipient.
    """
    from django.template import loader
    from django.utils import translation

    from servicedesk.outbox import outbox_add
    from servicedesk.preferences import user_language

    language = user_language(user, default=translation.get_language())
    with translation.override(language):
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        html = loader.render_to_string(html_email_template_name, context) if html_email_template_name else ""
    return outbox_add(kind=PASSWORD_RESET_EMAIL, channel="email", to=to, subject=subject, body=body, html=html)
