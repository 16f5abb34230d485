from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Mailbox


class MailboxForm(forms.ModelForm):
    """A mailbox as a manager sets it up. The password is never shown again; leaving it empty keeps it."""

    password = forms.CharField(label=_("Password"), required=False, widget=forms.PasswordInput(render_value=False),
                               help_text=_("Only if no environment variable is given. Leave empty to keep the "
                                           "stored password."))

    class Meta:
        model = Mailbox
        fields = ["name", "host", "port", "security", "username", "password_env", "password", "folder",
                  "processed_folder", "enabled", "default_kind"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._stored_password = self.instance.password if self.instance.pk else ""

    def clean_password(self):
        return self.cleaned_data.get("password") or self._stored_password
