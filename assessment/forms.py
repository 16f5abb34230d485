from datetime import date

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from servicedesk.lookups import localized_name
from servicedesk.params import DATE_MAX, DATE_MIN

from .models import EvaluatorKind


class CycleOpenForm(forms.Form):
    month = forms.CharField(label=_("Month"), max_length=7,
                            widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-11"}))

    def clean_month(self):
        text = self.cleaned_data["month"].strip()
        try:
            year, month = (int(p) for p in text.split("-"))
            value = date(year, month, 1)
        except (TypeError, ValueError):
            raise forms.ValidationError(_("Enter a month as YYYY-MM.")) from None
        if not DATE_MIN <= value <= DATE_MAX:
            raise forms.ValidationError(_("Enter a month as YYYY-MM."))
        return value


class EvaluationForm(forms.Form):
    """One field per item of the month's form (the cycle's snapshot), 0..the item's maximum."""

    def __init__(self, *args, items: list[dict], initial_answers: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        initial_answers = initial_answers or {}
        self.items = items
        for item in items:
            name = f"item_{item['id']}"
            choices = [("", "—")] + [(str(v), str(v)) for v in range(int(item["max"]) + 1)]
            self.fields[name] = forms.TypedChoiceField(
                label=localized_name(item["name"], item["name_en"]), choices=choices, coerce=int,
                initial=initial_answers.get(str(item["id"]), ""),
                error_messages={"required": _("Score this item."),
                                "invalid_choice": _("Choose a score from 0 to %(max)s.") % {"max": item["max"]}})
            item["field"] = name

    def answers(self) -> dict:
        return {item["id"]: self.cleaned_data[item["field"]] for item in self.items}


class AssignmentForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Person"), queryset=get_user_model().objects.none())
    evaluator = forms.ModelChoiceField(label=_("Evaluator"), queryset=get_user_model().objects.none())
    kind = forms.ModelChoiceField(label=_("As"), queryset=EvaluatorKind.objects.filter(active=True))

    def __init__(self, *args, people, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people
        self.fields["evaluator"].queryset = staff

    def clean(self):
        data = super().clean()
        if data.get("person") and data.get("evaluator") and data["person"] == data["evaluator"]:
            raise forms.ValidationError(_("A person cannot evaluate themselves."))
        return data


class AdjustmentForm(forms.Form):
    points = forms.DecimalField(label=_("Points (+ or −)"), max_digits=6, decimal_places=2,
                                min_value=-100, max_value=100)
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def clean_points(self):
        value = self.cleaned_data["points"]
        if value == 0:
            raise forms.ValidationError(_("Adjust by a number of points between -100 and 100, not 0."))
        return value
