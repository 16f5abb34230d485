from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tickets.models import Tag
from tickets.selectors import ticket_workers

from .models import Macro
from .variables import unknown_variables


class MacroForm(forms.ModelForm):
    add_tags = forms.ModelMultipleChoiceField(label=_("Add tags"), queryset=Tag.objects.none(), required=False,
                                              widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Macro
        fields = ["name", "text_zh", "text_en", "public", "set_status", "set_priority", "assign", "assign_to",
                  "add_tags"]
        widgets = {"text_zh": forms.Textarea(attrs={"rows": 5}), "text_en": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.instance.add_tags.all() if self.instance.pk else Tag.objects.none()
        self.fields["add_tags"].queryset = Tag.objects.filter(pk__in=current) | Tag.objects.filter(active=True)
        self.fields["assign_to"].queryset = ticket_workers()
        self.fields["assign_to"].required = False

    def _check_text(self, field):
        text = self.cleaned_data.get(field, "")
        bad = unknown_variables(text)
        if bad:
            raise ValidationError(_("Unknown variable: %(v)s. Use only the variables listed beside the text."),
                                  code="unknown_variable", params={"v": ", ".join("{" + b + "}" for b in bad)})
        return text

    def clean_text_zh(self):
        return self._check_text("text_zh")

    def clean_text_en(self):
        return self._check_text("text_en")

    def clean(self):
        data = super().clean()
        if data.get("assign") == Macro.Assign.PERSON and not data.get("assign_to"):
            self.add_error("assign_to", _("Choose who the ticket goes to."))
        return data
