from django import forms
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from .models import Event


class WebhookForm(forms.Form):
    """Fields only; the rules (http/https, no private addresses in production, events) are in services._clean."""

    name = forms.CharField(label=pgettext_lazy("webhook", "Name"), max_length=100)
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https",
                         help_text=_("http:// or https:// address that receives a POST per event."))
    events = forms.MultipleChoiceField(label=_("Events"), choices=Event.choices, widget=forms.CheckboxSelectMultiple)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
