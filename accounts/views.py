"""Sign-in, two-step sign-in, passwords and lockouts. Views stay thin: rules are in services/selectors."""
import base64
import time

from django.contrib import messages
from django.contrib.auth import get_user_model, login, views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicedesk.params import next_url
from servicedesk.permissions import perm_required

from . import selectors, services
from .forms import CodeForm, OutboxPasswordResetForm, UnlockForm
from .services import MUST_ENROL_SESSION_KEY, PENDING_USER_SESSION_KEY

PENDING_MAX_AGE = 300  # seconds between the password step and the code step


class Login(auth_views.LoginView):
    """Password first; a person with an authenticator app then gives a code before being signed in.

    A wrong password and an unknown user name get the same form error and status (Django's
    AuthenticationForm), and axes counts both towards the lockout.
    """

    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if selectors.confirmed_totp_device(user) is None:
            return super().form_valid(form)
        self.request.session[PENDING_USER_SESSION_KEY] = {
            "id": user.pk, "backend": user.backend, "next": self.get_success_url(), "at": time.time(),
        }
        return redirect("accounts:login_code")


def _pending_user(request):
    pending = request.session.get(PENDING_USER_SESSION_KEY)
    if not pending or time.time() - pending.get("at", 0) > PENDING_MAX_AGE:
        request.session.pop(PENDING_USER_SESSION_KEY, None)
        return None, None
    user = get_user_model().objects.filter(pk=pending["id"], is_active=True).first()
    return user, pending


def login_code(request):
    """The second sign-in step: the code from the authenticator app. Wrong codes count towards the lockout."""
    from axes.handlers.proxy import AxesProxyHandler

    from .lockout import lockout_response

    user, pending = _pending_user(request)
    if user is None:
        messages.info(request, _("Sign in again: the sign-in took too long or was not started."))
        return redirect("login")
    device = selectors.confirmed_totp_device(user)
    if device is None:  # the app was removed meanwhile
        request.session.pop(PENDING_USER_SESSION_KEY, None)
        return redirect("login")
    credentials = {"username": user.get_username()}
    if not AxesProxyHandler.is_allowed(request, credentials):
        return lockout_response(request, None, credentials)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            from django_otp import login as otp_login

            del request.session[PENDING_USER_SESSION_KEY]
            login(request, user, backend=pending["backend"])
            otp_login(request, device)
            return redirect(next_url(request, pending.get("next"), "home"))
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        form.add_error("code", _("That code is not right. Enter the code your app shows now."))
    return render(request, "accounts/login_code.html", {"form": form})


class PasswordChange(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password was changed."))
        return response


class PasswordReset(auth_views.PasswordResetView):
    """Django's reset by e-mail; the link uses the address this request was served on (protocol and host).
    The e-mail goes through the outbox (OutboxPasswordResetForm), so an SMTP or broker outage loses nothing."""

    form_class = OutboxPasswordResetForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetSent(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_sent.html"


class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        # A person who proved they own the mailbox may sign in again at once.
        from axes.utils import reset

        reset(username=form.user.get_username())
        return response


class PasswordResetDone(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_done.html"


def _qr_svg(text: str) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return image.to_string(encoding="unicode")


@login_required
def two_factor(request):
    """Set up (QR code + key, confirmed with a code) or turn off two-step sign-in for oneself."""
    device = selectors.confirmed_totp_device(request.user)
    required = selectors.two_factor_required(request.user)
    if device is not None:
        if request.method == "POST" and request.POST.get("action") == "remove":
            try:
                services.totp_remove(user=request.user)
            except ValidationError as exc:
                messages.error(request, exc.messages[0])
            else:
                messages.success(request, _("Two-step sign-in is off. You sign in with your password only."))
            return redirect("accounts:two_factor")
        return render(request, "accounts/two_factor.html", {"device": device, "required": required})
    pending = services.totp_enrolment_start(user=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.totp_enrolment_confirm(user=request.user, device=pending, token=form.cleaned_data["code"])
        except ValidationError as exc:
            form.add_error("code", exc.messages[0])
        else:
            from django_otp import login as otp_login

            otp_login(request, pending)
            request.session.pop(MUST_ENROL_SESSION_KEY, None)
            messages.success(request, _("Two-step sign-in is on. From now on you sign in with your password and a code from your app."))
            return redirect("home")
    key = base64.b32encode(pending.bin_key).decode().rstrip("=")
    return render(request, "accounts/two_factor.html", {
        "form": form, "required": required, "qr_svg": _qr_svg(pending.config_url),
        "key_groups": [key[i:i + 4] for i in range(0, len(key), 4)],
        "must_enrol": request.session.get(MUST_ENROL_SESSION_KEY, False),
    })


@perm_required("accounts.unlock_login")
def lockouts(request):
    return render(request, "accounts/lockouts.html", {"lockouts": selectors.lockouts_active(now=timezone.now())})


@perm_required("accounts.unlock_login")
@require_POST
def lockout_unlock(request):
    form = UnlockForm(request.POST)
    if form.is_valid():
        kind, value = form.cleaned_data["kind"], form.cleaned_data["value"]
        removed = services.login_unlock(kind=kind, value=value, by=request.user)
        if removed:
            messages.success(request, _("Unlocked %(value)s: they can sign in again.") % {"value": value})
        else:
            messages.info(request, _("%(value)s was not locked.") % {"value": value})
    else:
        messages.error(request, _("Nothing was unlocked: the request was incomplete."))
    return redirect("accounts:lockouts")
