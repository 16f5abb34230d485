from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from servicedesk import params
from tickets.uploads import check_upload

from .models import DemeritCategory, SeverityLevel

IMAGE_TYPES = ("image/jpeg", "image/png")


def people_for(user):
    """Whom `user` may record a slip for or filter by: the people whose slips they can see, staff only."""
    User = get_user_model()
    qs = User.objects.filter(is_active=True, groups__isnull=False).exclude(pk=user.pk)
    if not user.has_perm("quality.view_all_quality"):
        if not user.has_perm("quality.view_team_quality"):
            return qs.none()
        qs = qs.filter(profile__team__supervisor=user)
    return qs.distinct().order_by("first_name", "username")


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.username


class SlipForm(forms.Form):
    person = PersonChoiceField(label=_("Person"), queryset=get_user_model().objects.none())
    category = forms.ModelChoiceField(label=_("Category"), queryset=DemeritCategory.objects.filter(active=True))
    occurred_at = params.DateTimeField(label=_("When"), widget=forms.DateTimeInput(
        attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    description = forms.CharField(label=_("What happened"), widget=forms.Textarea(attrs={"rows": 3}),
                                  max_length=2000)
    points = forms.DecimalField(label=_("Deduction (points)"), required=False, min_value=Decimal("0"),
                                max_value=Decimal("100"), max_digits=5, decimal_places=1,
                                help_text=_("Empty: the category's default."))
    fine = forms.DecimalField(label=_("Fine (CNY)"), required=False, min_value=Decimal("0"),
                              max_value=Decimal("100000"), max_digits=8, decimal_places=2,
                              help_text=_("Empty: the category's default."))
    evidence = forms.FileField(label=_("Evidence photo"), required=False,
                               help_text=_("Optional. A JPG or PNG photo, up to %(mb)s MB."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people_for(user)
        self.fields["evidence"].widget.attrs["accept"] = "image/jpeg,image/png"
        self.fields["evidence"].help_text = self.fields["evidence"].help_text % {"mb": settings.QUALITY_EVIDENCE_MAX_MB}

    def clean_description(self):
        text = self.cleaned_data["description"].strip()
        if not text:
            raise ValidationError(_("Describe what happened."), code="required")
        return text

    def clean_evidence(self):
        f = self.cleaned_data.get("evidence")
        if not f:
            return None
        content_type = check_upload(f, max_mb=settings.QUALITY_EVIDENCE_MAX_MB)
        if content_type not in IMAGE_TYPES:
            raise ValidationError(_("“%(name)s”: the evidence must be a photo (JPG or PNG)."), code="file_type",
                                  params={"name": f.name})
        return f, content_type


class AcknowledgeForm(forms.Form):
    response = forms.CharField(label=_("Your response (optional)"), required=False, max_length=2000,
                               widget=forms.Textarea(attrs={"rows": 3}))


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason for withdrawal"), max_length=500)


class RespondForm(forms.Form):
    response = forms.CharField(label=_("Your response"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class OverturnForm(forms.Form):
    reason = forms.CharField(label=_("Reason for overturning"), max_length=500)


PASS = "pass"


class InspectionForm(forms.Form):
    """One choice per active checklist item: pass, or a finding of a severity level, with a note."""

    note = forms.CharField(label=_("Overall note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, items, levels, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        self.levels = {str(level.pk): level for level in levels}
        choices = [(PASS, _("Pass"))] + [(pk, level.display_name) for pk, level in self.levels.items()]
        for item in self.items:
            self.fields[f"result_{item.pk}"] = forms.ChoiceField(
                label=item.display_name, choices=choices, initial=PASS,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
            self.fields[f"note_{item.pk}"] = forms.CharField(label=_("Note"), required=False, max_length=1000)

    def rows(self):
        return [(item, self[f"result_{item.pk}"], self[f"note_{item.pk}"]) for item in self.items]

    def clean(self):
        data = super().clean()
        results = []
        for item in self.items:
            value = data.get(f"result_{item.pk}")
            if value is None:
                continue
            level = None if value == PASS else self.levels.get(value)
            note = (data.get(f"note_{item.pk}") or "").strip()
            if level is not None and not note:
                self.add_error(f"note_{item.pk}", _("Say what was wrong."))
            results.append((item, level, note))
        data["results"] = results
        return data


class FindingFilterForm(forms.Form):
    person = PersonChoiceField(label=_("Person"), queryset=get_user_model().objects.none(), required=False)
    severity = forms.ModelChoiceField(label=_("Severity"), queryset=SeverityLevel.objects.all(), required=False)
    month = forms.DateField(label=_("Month"), required=False, input_formats=["%Y-%m"],
                            widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.has_perm("quality.view_team_quality") or user.has_perm("quality.view_all_quality"):
            self.fields["person"].queryset = people_for(user)
        else:
            del self.fields["person"]
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select" if isinstance(field.widget, forms.Select) else "form-control"


class SlipFilterForm(FindingFilterForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["severity"]
