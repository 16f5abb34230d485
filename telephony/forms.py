from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import Contact


class CallLogForm(forms.Form):
    """Logging a popped call: the times, number and customer come from the phone system; the rest in seconds."""

    purpose = forms.ChoiceField(label=_("Purpose"), choices=Contact.Purpose.choices, initial=Contact.Purpose.INQUIRY)
    caller_name = forms.CharField(label=_("Caller's name"), max_length=200, required=False)
    notes = forms.CharField(label=_("Notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
