from datetime import timedelta

from django import forms
from django.forms import inlineformset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from customers.forms import TierFilterField
from customers.models import Channel
from servicedesk import params
from servicedesk.models import Team
from tickets.models import Ticket

from .models import BusinessCalendar, BusinessHours, CalendarDay, SLAPolicy, SLATarget


class DashboardFilterForm(forms.Form):
    start = params.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = params.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all(), required=False, empty_label=_("All teams"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if not field.widget.is_hidden:
                css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
                field.widget.attrs.setdefault("class", css)

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        data["end"] = data.get("end") or today
        data["start"] = data.get("start") or data["end"] - timedelta(days=29)
        if data["start"] > data["end"]:
            raise forms.ValidationError(_("The start date must not be after the end date."))
        if (data["end"] - data["start"]).days > 366:
            raise forms.ValidationError(_("Choose a range of at most one year."))
        return data


class ClockListFilterForm(DashboardFilterForm):
    target = forms.ChoiceField(label=_("Target"), required=False, choices=[("", _("Any target"))])
    met = forms.ChoiceField(label=_("Result"), required=False,
                            choices=[("", _("Any")), ("yes", pgettext_lazy("clock state", "Met")), ("no", pgettext_lazy("clock state", "Missed"))])
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Any kind")), *Ticket.Kind.choices])
    tier = TierFilterField(label=_("Tier"), empty_label=_("Any tier"))
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[("", _("Any channel")), *Channel.choices])
    agent = params.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    unassigned = forms.BooleanField(required=False, widget=forms.HiddenInput)
    breached = forms.ChoiceField(required=False, widget=forms.HiddenInput, choices=[("", ""), ("today", ""), ("week", "")])
    at_risk = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        from .models import Target

        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [("", _("Any target")), *Target.choices]


class PolicyForm(forms.ModelForm):
    kind = forms.ChoiceField(label=_("Ticket kind"), required=False, choices=[("", _("Any kind")), *Ticket.Kind.choices])
    priority = forms.TypedChoiceField(label=_("Priority"), required=False, coerce=int, empty_value=None,
                                      choices=[("", _("Any priority")), *Ticket.Priority.choices])
    tier = forms.ChoiceField(label=_("Customer tier"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[("", _("Any channel")), *Channel.choices])

    class Meta:
        model = SLAPolicy
        fields = ["name", "is_active", "order", "kind", "priority", "tier", "channel", "key_account", "calendar",
                  "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from customers.tiers import tier_choices

        # Tiers are data (issue 17): the active ones, plus the policy's own if it was retired since.
        self.fields["tier"].choices = [("", _("Any tier")),
                                       *tier_choices(include=self.instance.tier if self.instance.tier else None)]


TargetFormSet = inlineformset_factory(
    SLAPolicy, SLATarget, fields=["target", "hours", "clock", "warning_percent", "level2_multiplier", "reassign_to_supervisor"],
    extra=1, can_delete=True, max_num=4, validate_max=True,
)


class CalendarForm(forms.ModelForm):
    class Meta:
        model = BusinessCalendar
        fields = ["name", "time_zone", "is_default"]


class HoursForm(forms.ModelForm):
    class Meta:
        model = BusinessHours
        fields = ["weekday", "start", "end", "lunch_start", "lunch_end"]
        widgets = {
            "weekday": forms.Select(attrs={"class": "form-select form-select-sm"}),
            **{f: forms.TimeInput(attrs={"type": "time", "class": "form-control form-control-sm"}, format="%H:%M")
               for f in ("start", "end", "lunch_start", "lunch_end")},
        }


HoursFormSet = inlineformset_factory(
    BusinessCalendar, BusinessHours, form=HoursForm, extra=1, can_delete=True, max_num=7, validate_max=True,
)


class CalendarDayForm(forms.ModelForm):
    class Meta:
        model = CalendarDay
        fields = ["date", "kind", "name"]
        field_classes = {"date": params.DateField}
        widgets = {"date": forms.DateInput(attrs={"type": "date"})}


class ReapplyForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)
