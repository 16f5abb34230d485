from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Scope


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Integration"), max_length=100,
                           help_text=_("Who will use this token, e.g. “Phone exchange” or “ERP”."))
    scopes = forms.MultipleChoiceField(label=_("Scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple,
                                       help_text=_("Give only what the integration needs."))
    rate_limit_per_minute = forms.IntegerField(label=_("Requests per minute"), min_value=1, max_value=100000)
