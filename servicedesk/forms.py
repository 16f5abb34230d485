from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import NotificationChannel
from . import preferences


class NotificationPreferencesForm(forms.Form):
    """One choice per kind of notification the person can receive, and the language they read."""

    language = forms.ChoiceField(label=_("Language of my notifications and e-mails"), choices=settings.LANGUAGES)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        current = preferences.channels_for(user)
        self.initial.setdefault("language", preferences.user_language(user))
        self.kind_names = []
        for kind, label in preferences.kinds_for(user):
            name = f"kind_{kind}"
            # Not required: a kind left out of the post keeps its current channel.
            self.fields[name] = forms.ChoiceField(label=label, choices=NotificationChannel.choices, required=False)
            self.initial.setdefault(name, current[kind])
            self.kind_names.append(name)

    def kind_fields(self):
        return [self[name] for name in self.kind_names]

    def channels(self) -> dict[str, str]:
        return {name.removeprefix("kind_"): self.cleaned_data[name] for name in self.kind_names if self.cleaned_data[name]}
