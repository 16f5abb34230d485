from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import Asset
from servicedesk import params
from tickets.models import FaultCause

from .models import Part, Skill
from .selectors import technicians_on_duty


class WorkOrderForm(forms.Form):
    skill = forms.ModelChoiceField(label=_("Required skill"), queryset=Skill.objects.all())
    asset = forms.ModelChoiceField(label=_("Asset"), queryset=Asset.objects.none(), required=False)
    estimated_value = forms.DecimalField(label=_("Estimated value (CNY)"), min_value=Decimal("0"), max_digits=12,
                                         decimal_places=2)
    window_start = params.DateTimeField(label=_("Visit from"),
                                       widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    window_end = params.DateTimeField(label=_("Visit until"),
                                     widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    address = forms.CharField(label=_("Address"), max_length=300, required=False,
                              help_text=_("Leave empty to use the asset's location or the customer's address."))
    instructions = forms.CharField(label=_("Instructions"), max_length=5000, required=False,
                                   widget=forms.Textarea(attrs={"rows": 3}))
    auto_dispatch = forms.BooleanField(label=_("Dispatch automatically now"), required=False, initial=True)

    def __init__(self, *args, ticket=None, **kwargs):
        super().__init__(*args, **kwargs)
        if ticket is not None:
            self.fields["asset"].queryset = Asset.objects.filter(customer=ticket.customer_id)
            self.fields["asset"].initial = ticket.asset_id

    def clean(self):
        data = super().clean()
        start, end = data.get("window_start"), data.get("window_end")
        if start and end and end < start:
            self.add_error("window_end", _("The visit window ends before it starts."))
        return data


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Why do you decline?"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}))


class WorkForm(forms.Form):
    work_done = forms.CharField(label=_("Work done"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    fault_cause = forms.ModelChoiceField(label=_("Fault cause"), queryset=FaultCause.objects.filter(is_active=True))


class PartForm(forms.Form):
    part = forms.ModelChoiceField(label=_("Part"), queryset=Part.objects.select_related("stock"))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=999, initial=1)
    faulty_returned = forms.BooleanField(label=_("Faulty part returned"), required=False)
    faulty_note = forms.CharField(label=_("Faulty part note"), max_length=200, required=False)
    override_reason = forms.CharField(
        label=_("Override: reason for using more than the stock"), max_length=300, required=False,
        help_text=_("Supervisors only."),
    )

    def __init__(self, *args, can_override=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["part"].label_from_instance = lambda p: _("%(part)s — %(n)s in stock") % {
            "part": p.label_with_sku, "n": getattr(getattr(p, "stock", None), "quantity", 0)}
        if not can_override:
            del self.fields["override_reason"]


class PhotoForm(forms.Form):
    photo = forms.FileField(label=_("Photo (JPEG or PNG, up to 5 MB)"),
                            widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}))


class QuoteForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount (CNY)"), min_value=Decimal("0"), max_digits=12, decimal_places=2)
    description = forms.CharField(label=_("What the price covers"), max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 2}))


class SignatureForm(forms.Form):
    name = forms.CharField(label=_("Customer's name"), max_length=100)
    signature = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2_000_000)


class ForceForm(forms.Form):
    technician = forms.ModelChoiceField(label=_("Technician"),
                                        queryset=technicians_on_duty().select_related("user"))
    reason = forms.CharField(label=_("Reason for forcing"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}))
