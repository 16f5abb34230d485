from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tickets.forms import MultipleFileField
from tickets.models import TicketSettings
from tickets.uploads import check_upload

MAX_FILES = 5


def checked_files(files, *, max_files: int = MAX_FILES) -> list:
    """Customers' uploads: the same type sniffing and size limit as staff uploads, at most five files."""
    files = files or []
    if len(files) > max_files:
        raise ValidationError(_("Choose at most %(n)s files."), code="too_many", params={"n": max_files})
    max_mb = TicketSettings.current().attachment_max_mb if files else 0
    checked, errors = [], []
    for f in files:
        try:
            checked.append((f, check_upload(f, max_mb=max_mb)))
        except ValidationError as e:
            errors.extend(e.messages)
    if errors:
        raise ValidationError(errors)
    return checked


class CustomerMessageForm(forms.Form):
    body = forms.CharField(label=_("Your message"), required=False, max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 3}))
    photos = MultipleFileField(label=_("Photos or files"), required=False,
                               help_text=_("Up to 5: JPG, PNG, PDF and office documents."))

    def clean_photos(self):
        return checked_files(self.cleaned_data.get("photos"))

    def clean(self):
        data = super().clean()
        if not self.errors and not (data.get("body") or "").strip() and not data.get("photos"):
            raise ValidationError(_("Write a message or choose a photo."), code="empty")
        return data


class CustomerNoteForm(forms.Form):
    note = forms.CharField(label=_("Anything we should know? (optional)"), required=False, max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class PortalSettingsForm(forms.ModelForm):
    class Meta:
        from .models import PortalSettings

        model = PortalSettings
        fields = ["public_name", "public_name_en", "hotline", "logo", "link_valid_days", "quiet_start", "quiet_end",
                  "requests_per_ip_hour", "requests_per_mobile_day"]
        widgets = {"quiet_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                   "quiet_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if logo and hasattr(logo, "content_type"):  # a new upload (not the file already stored)
            ext = (logo.name or "").rsplit(".", 1)[-1].lower()
            if ext not in ("png", "jpg", "jpeg"):
                raise ValidationError(_("The logo must be a PNG or JPEG picture."), code="logo_type")
            check_upload(logo, max_mb=1)
        return logo


class TemplateForm(forms.ModelForm):
    class Meta:
        from .models import MessageTemplate

        model = MessageTemplate
        fields = ["enabled", "text_zh", "text_en"]
        widgets = {"text_zh": forms.Textarea(attrs={"rows": 3}), "text_en": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, event: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        from . import messages as wording

        if event in wording.ESSENTIAL:
            self.fields["enabled"].disabled = True
            self.fields["enabled"].initial = True
            self.fields["enabled"].help_text = _("The acknowledgement is always sent.")

    def _check(self, name: str) -> str:
        from . import messages as wording
        from .models import MessageEvent

        text = (self.cleaned_data.get(name) or "").strip()
        if not text:
            raise ValidationError(_("Write the message."), code="required")
        allowed = set(wording.EVENT_VARIABLES[MessageEvent(self.event)])
        used = wording.variables_used(text)
        if "{" in used:
            raise ValidationError(_("A brace { or } is not closed. Variables are written like {number}."),
                                  code="braces")
        unknown = [v for v in used if v not in allowed]
        if unknown:
            raise ValidationError(
                _("This message cannot use: %(names)s. It can use: %(allowed)s."), code="unknown_variable",
                params={"names": ", ".join("{%s}" % v for v in unknown),
                        "allowed": ", ".join("{%s}" % v for v in sorted(allowed))})
        return text

    def clean_text_zh(self):
        return self._check("text_zh")

    def clean_text_en(self):
        return self._check("text_en")
