"""The public online request form (issue 15 item 3). Validation only; portal/intake.py writes."""
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tickets.forms import MultipleFileField
from tickets.models import Ticket

from .forms import checked_files
from .intake import CONTACT_TIMES, mobile_normalise

# The customer's words for the ticket kinds (the staff labels are "Inquiry", "Repair request"...).
KIND_CHOICES = [
    (Ticket.Kind.REPAIR, _("Repair: something is broken")),
    (Ticket.Kind.INSTALLATION, _("Installation: book a new product's installation")),
    (Ticket.Kind.INQUIRY, _("Question")),
    (Ticket.Kind.COMPLAINT, _("Complaint")),
    (Ticket.Kind.SUGGESTION, _("Suggestion")),
]


# The honeypot's name: a field people never see (.portal-hp) and form-filling robots fill in.
HONEYPOT = "website"


class MobileForm(forms.Form):
    """Just the mobile: what "Send code" needs (the whole form re-renders around it without JavaScript)."""

    mobile = forms.CharField(label=_("Mobile"), max_length=40,
                             widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel",
                                                           "inputmode": "tel", "placeholder": "138 0000 0000"}))

    def clean_mobile(self):
        return mobile_normalise(self.cleaned_data["mobile"]).e164


class OnlineRequestForm(MobileForm):
    name = forms.CharField(label=_("Your name"), max_length=100,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    code = forms.CharField(label=_("Code from the SMS"), max_length=10, required=False,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code",
                                                         "pattern": "[0-9]*", "maxlength": "6"}))
    kind = forms.ChoiceField(label=_("What is it about?"), choices=KIND_CHOICES, initial=Ticket.Kind.REPAIR,
                             widget=forms.RadioSelect)
    product = forms.CharField(label=_("Product or model (optional)"), max_length=200, required=False,
                              widget=forms.TextInput(attrs={"placeholder": _("e.g. air conditioner KFR-35GW")}))
    description = forms.CharField(label=_("What can we do for you?"), max_length=4000,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    photos = MultipleFileField(label=_("Photos or files (optional)"), required=False,
                               help_text=_("Up to 5: JPG, PNG, PDF and office documents."))
    contact_time = forms.ChoiceField(label=_("When should we call you?"), choices=CONTACT_TIMES, required=False)
    # The honeypot: hidden from people by CSS, labelled so a screen reader user is told to leave it.
    website = forms.CharField(label=_("Leave this empty"), required=False, max_length=200)

    field_order = ["name", "mobile", "code", "kind", "product", "description", "photos", "contact_time"]

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError(_("Write your name."), code="required")
        return name

    def clean_description(self):
        text = self.cleaned_data["description"].strip()
        if not text:
            raise ValidationError(_("Tell us what we can do for you."), code="required")
        return text

    def clean_photos(self):
        return checked_files(self.cleaned_data.get("photos"))

    def is_bot(self) -> bool:
        return bool((self.data.get(HONEYPOT) or "").strip())
