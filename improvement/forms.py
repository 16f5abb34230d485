import re

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from followups.models import SurveyResponse
from quality.models import Finding
from servicedesk import params, roles
from tickets.models import FaultCause, Ticket

from .models import ImprovementAction

MAX_LINKS = 50


def _tokens(value: str) -> list[str]:
    return [t for t in re.split(r"[\s,;，；]+", value or "") if t]


def _ids(value: str, label) -> list[int]:
    out = []
    for t in _tokens(value):
        if not t.isdigit() or len(t) > 12:
            raise forms.ValidationError(_("%(label)s: “%(value)s” is not a number."), params={"label": label, "value": t[:30]})
        out.append(int(t))
    if len(out) > MAX_LINKS:
        raise forms.ValidationError(_("At most %(n)s links of each kind."), params={"n": MAX_LINKS})
    return out


def owner_choices():
    return (get_user_model().objects.filter(is_active=True, groups__name__in=list(roles.ROLE_PERMISSIONS))
            .distinct().order_by("username"))


class ActionForm(forms.Form):
    problem = forms.CharField(label=_("Problem"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    measure = forms.CharField(label=_("Measure"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=get_user_model().objects.none())
    due_date = params.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}))
    complaints = forms.CharField(label=_("Complaint tickets (numbers)"), required=False, max_length=2000,
                                 help_text=_("e.g. CP-2026-000045, separated by commas or spaces"))
    survey_responses = forms.CharField(label=_("Survey responses (ids)"), required=False, max_length=1000)
    findings = forms.CharField(label=_("Quality findings (ids)"), required=False, max_length=1000)
    fault_cause = forms.ModelChoiceField(label=_("Recurring fault cause"), required=False,
                                         queryset=FaultCause.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owner_choices()
        self.fields["fault_cause"].queryset = FaultCause.objects.filter(is_active=True)

    def clean_complaints(self):
        numbers = _tokens(self.cleaned_data["complaints"])
        if len(numbers) > MAX_LINKS:
            raise forms.ValidationError(_("At most %(n)s links of each kind."), params={"n": MAX_LINKS})
        found = list(Ticket.objects.filter(number__in=[n[:20] for n in numbers], kind=Ticket.Kind.COMPLAINT))
        missing = sorted(set(numbers) - {t.number for t in found})
        if missing:
            raise forms.ValidationError(_("No complaint ticket numbered: %(numbers)s"),
                                        params={"numbers": ", ".join(m[:20] for m in missing[:5])})
        return found

    def _objects(self, name, model, label):
        ids = _ids(self.cleaned_data[name], label)
        found = list(model.objects.filter(pk__in=ids))
        missing = sorted(set(ids) - {o.pk for o in found})
        if missing:
            raise forms.ValidationError(_("%(label)s: not found: %(ids)s"),
                                        params={"label": label, "ids": ", ".join(map(str, missing[:5]))})
        return found

    def clean_survey_responses(self):
        return self._objects("survey_responses", SurveyResponse, _("Survey responses"))

    def clean_findings(self):
        return self._objects("findings", Finding, _("Quality findings"))


class MoveForm(forms.Form):
    to_status = forms.ChoiceField(label=_("Move to"), choices=ImprovementAction.Status.choices)
    reason = forms.CharField(label=_("Why it is dropped"), max_length=500, required=False)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, allowed=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [(s, ImprovementAction.Status(s).label) for s in allowed]


class RegisterFilterForm(forms.Form):
    month = params.DateField(label=_("Month"), required=False, input_formats=["%Y-%m"],
                            widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"))
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All")), ("open", _("Unfinished")), *ImprovementAction.Status.choices])
    owner = forms.ModelChoiceField(label=_("Owner"), required=False, queryset=get_user_model().objects.none())
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owner_choices()
