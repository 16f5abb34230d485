from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from servicedesk import params

from .models import LeadOutcome

REASON_CHOICES = [(str(LeadOutcome.Outcome(o).label), [(r.value, r.label) for r in rs])
                  for o, rs in LeadOutcome.REASONS_BY_OUTCOME.items()]


class LeadRecordForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=LeadOutcome.Outcome.choices, widget=forms.RadioSelect)
    reason = forms.ChoiceField(label=_("Reason"), choices=LeadOutcome.Reason.choices)
    customer_words = forms.CharField(label=_("The customer's own words"), max_length=2000,
                                     widget=forms.Textarea(attrs={"rows": 3}))
    product = forms.CharField(label=_("Product"), max_length=120, required=False,
                              help_text=_("Empty: the product of the ticket's asset."))

    def clean(self):
        data = super().clean()
        outcome, reason = data.get("outcome"), data.get("reason")
        if outcome and reason and reason not in LeadOutcome.REASONS_BY_OUTCOME[outcome]:
            self.add_error("reason", _("That reason does not belong to this outcome."))
        return data


class LeadResubmitForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=LeadOutcome.Reason.choices)
    customer_words = forms.CharField(label=_("The customer's own words"), max_length=2000,
                                     widget=forms.Textarea(attrs={"rows": 3}))
    product = forms.CharField(label=_("Product"), max_length=120, required=False)

    def __init__(self, *args, outcome: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [(r.value, r.label) for r in LeadOutcome.REASONS_BY_OUTCOME[outcome]]


class LeadReturnForm(forms.Form):
    reason = forms.CharField(label=_("Why it is sent back"), max_length=500)


class AnalysisFilterForm(forms.Form):
    start = params.DateField(label=_("From month"), required=False, input_formats=["%Y-%m"],
                            widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"))
    end = params.DateField(label=_("To month"), required=False, input_formats=["%Y-%m"],
                          widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"))
    outcome = forms.ChoiceField(label=_("Outcome"), required=False,
                                choices=[("", _("All")), *LeadOutcome.Outcome.choices])
    reason = forms.ChoiceField(label=_("Reason"), required=False, choices=[("", _("All")), *LeadOutcome.Reason.choices])
    staff = forms.ModelChoiceField(label=_("Staff"), required=False, queryset=get_user_model().objects.none())
    product = forms.CharField(label=_("Product"), max_length=120, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = get_user_model().objects.filter(is_active=True, groups__isnull=False).distinct()

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The last month comes before the first."))
        return data
