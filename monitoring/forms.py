from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AnomalyRule
from .selectors import BOARD_COLUMNS


class BoardFilterForm(forms.Form):
    """The board's team filter and sort; bad values fall back to the defaults (it is a GET filter)."""

    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    sort = forms.ChoiceField(label=_("Sort by"), required=False,
                             choices=[(k, v[0]) for k, v in BOARD_COLUMNS.items()])
    desc = forms.BooleanField(label=_("Highest first"), required=False)

    def __init__(self, *args, teams, all_teams: bool, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(t.pk, t.display_name) for t in teams]
        if all_teams or len(choices) > 1:  # a supervisor of several teams sees them all together by default
            choices = [("", _("All teams")), *choices]
        self.fields["team"].choices = choices
        self.fields["team"].widget.attrs["class"] = "form-select"
        self.fields["sort"].widget.attrs["class"] = "form-select"


class AnomalyRuleForm(forms.ModelForm):
    class Meta:
        model = AnomalyRule
        fields = ["name", "kind", "active", "threshold", "factor", "max_score"]
