from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from servicedesk import params
from servicedesk.models import Team

from . import selectors
from .models import Frequency, ReportExport
from .periods import Period, local_today, period_containing

MAX_CUSTOM_DAYS = 366


class PeriodForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=[
        ("day", _("Day")), ("week", _("Week")), ("month", pgettext_lazy("report period", "Month")), ("custom", _("Custom range"))])
    date = params.DateField(label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = params.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                          help_text=_("Custom range only."))
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all(), required=False,
                                  empty_label=_("All teams"))

    def clean(self):
        data = super().clean()
        kind = data.get("period") or "month"
        day = data.get("date") or local_today()
        if kind == "custom":
            end = data.get("end") or day
            if end < day:
                raise forms.ValidationError(_("The end of the range must not be before its start."))
            if (end - day).days >= MAX_CUSTOM_DAYS:
                raise forms.ValidationError(_("Choose a range of at most one year."))
            data["resolved_period"] = Period("custom", day, end)
        else:
            data["resolved_period"] = period_containing(kind, day)
        return data


def period_from_request(request, data=None):
    """(form, period, team) from the query string (or the given data, e.g. a POSTed export form) —
    invalid or missing input falls back to this month, all teams."""
    data = (request.GET if data is None else data).copy()
    data.setdefault("period", "month")
    form = PeriodForm(data)
    if form.is_valid():
        return form, form.cleaned_data["resolved_period"], form.cleaned_data.get("team")
    return form, period_containing("month", local_today()), None


class ExportForm(forms.Form):
    table = forms.ChoiceField(choices=[])
    fmt = forms.ChoiceField(choices=ReportExport.Format.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .services import TABLE_SECTION

        self.fields["table"].choices = [(t, t) for t in TABLE_SECTION]


class SubscriptionForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Recipient"), queryset=get_user_model().objects.filter(
        is_active=True).exclude(email="").order_by("username"))
    frequency = forms.ChoiceField(label=_("Frequency"), choices=Frequency.choices)
    sections = forms.MultipleChoiceField(label=_("Sections"), choices=list(selectors.SECTIONS.items()),
                                         widget=forms.CheckboxSelectMultiple,
                                         initial=list(selectors.SECTIONS))
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all(), required=False,
                                  empty_label=_("All teams"))


