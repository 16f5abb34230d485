from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.utils.translation import gettext_lazy as _, pgettext_lazy


class CodeForm(forms.Form):
    """A six-digit code from the person's authenticator app."""

    code = forms.CharField(
        label=_("Code from your authenticator app"), max_length=6, min_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]*",
                                      "autofocus": True}),
    )

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not code.isdigit():
            raise forms.ValidationError(_("Enter the 6 digits your app shows."))
        return code


class UnlockForm(forms.Form):
    kind = forms.ChoiceField(choices=[("username", _("User name")), ("ip_address", pgettext_lazy("network address of a computer", "Address"))])
    value = forms.CharField(max_length=255)


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form, but the e-mail is written to the outbox instead of sent during the request."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email,
                  html_email_template_name=None):
        from .services import password_reset_email_add

        password_reset_email_add(user=context["user"], to=to_email, subject_template_name=subject_template_name,
                                 email_template_name=email_template_name, context=context,
                                 html_email_template_name=html_email_template_name)
