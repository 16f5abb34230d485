from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dispatch.models import Skill

from . import schedule
from .models import MaintenancePlan


class PlanFilterForm(forms.Form):
    ACTIVE_CHOICES = [("yes", _("Active")), ("no", _("Paused")), ("all", _("All"))]

    customer = forms.IntegerField(label=_("customer"), required=False, widget=forms.HiddenInput, min_value=1,
                                  max_value=2**63 - 1)
    account_manager = forms.TypedChoiceField(label=_("account manager"), required=False, coerce=int, empty_value=None)
    due_within = forms.IntegerField(label=_("due within (days)"), required=False, min_value=0, max_value=3660)
    active = forms.ChoiceField(label=_("active"), choices=ACTIVE_CHOICES, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        managers = get_user_model().objects.filter(managed_accounts__isnull=False).distinct().order_by(
            "first_name", "username")
        self.fields["account_manager"].choices = [("", _("Everyone"))] + [
            (u.pk, u.get_full_name() or u.username) for u in managers]


class CustomerPickForm(forms.Form):
    customer = forms.ModelChoiceField(label=_("customer"), queryset=None)

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers


class PlanForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    site = forms.CharField(label=_("site address"), max_length=300, required=False,
                           help_text=_("Leave empty to visit the customer's own address."))
    assets = forms.ModelMultipleChoiceField(label=_("assets"), queryset=None, required=False,
                                            widget=forms.CheckboxSelectMultiple)
    kind = forms.ChoiceField(label=_("schedule"), choices=MaintenancePlan.Kind.choices)
    interval_months = forms.IntegerField(label=_("every how many months"), required=False, min_value=1, max_value=60)
    month_days = forms.CharField(label=_("dates every year"), required=False, max_length=200,
                                 help_text=_("Month-day, separated by commas, e.g. 05-20, 11-15."))
    start_on = forms.DateField(label=_("first visit on or after"), widget=forms.DateInput(attrs={"type": "date"}))
    checklist = forms.CharField(label=_("checklist"), widget=forms.Textarea(attrs={"rows": 5}), max_length=4000,
                                help_text=_("One item per line, in the order of the visit."))
    skill = forms.ModelChoiceField(label=_("main skill"), queryset=Skill.objects.order_by("name"),
                                   help_text=_("Dispatch offers the job to technicians with this skill."))
    other_skills = forms.ModelMultipleChoiceField(label=_("other skills needed"), required=False,
                                                  queryset=Skill.objects.order_by("name"),
                                                  widget=forms.CheckboxSelectMultiple)
    estimated_value = forms.DecimalField(label=_("estimated value (CNY)"), min_value=0, max_digits=12,
                                         decimal_places=2, initial=0)
    active = forms.BooleanField(label=_("active"), required=False, initial=True)
    notes = forms.CharField(label=_("notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False,
                            max_length=4000)

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assets"].queryset = customer.assets.order_by("pk")
        if not self.fields["assets"].queryset.exists():
            del self.fields["assets"]

    def clean_start_on(self):
        value = self.cleaned_data["start_on"]
        today = timezone.localdate()
        if not today - timedelta(days=3660) <= value <= today + timedelta(days=3660):
            raise forms.ValidationError(_("Give a date within ten years of today."), code="start_range")
        return value

    def clean_month_days(self):
        try:
            return [list(p) for p in schedule.parse_month_days(self.cleaned_data.get("month_days") or "")]
        except ValueError as exc:
            raise forms.ValidationError(_("“%(value)s” is not a month-day such as 05-20."),
                                        params={"value": str(exc)}) from exc

    def clean(self):
        data = super().clean()
        if data.get("kind") == MaintenancePlan.Kind.EVERY_N_MONTHS and not data.get("interval_months"):
            self.add_error("interval_months", _("Say every how many months."))
        if data.get("kind") == MaintenancePlan.Kind.SEASONAL and not data.get("month_days"):
            self.add_error("month_days", _("Enter at least one date (month-day)."))
        return data

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        return {**{k: data[k] for k in ("title", "site", "kind", "interval_months", "month_days", "start_on",
                                        "checklist", "skill", "estimated_value", "active", "notes")},
                "assets": data.get("assets") or [], "other_skills": data.get("other_skills") or []}

    @classmethod
    def initial_for(cls, plan: MaintenancePlan) -> dict:
        return {"title": plan.title, "site": plan.site, "assets": list(plan.assets.all()), "kind": plan.kind,
                "interval_months": plan.interval_months, "month_days": plan.month_days_text(),
                "start_on": plan.start_on, "checklist": plan.checklist, "skill": plan.skill,
                "other_skills": list(plan.other_skills.all()), "estimated_value": plan.estimated_value,
                "active": plan.active, "notes": plan.notes}
