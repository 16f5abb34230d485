"""Forms of the front desk. They validate input and shape it for the services; the services save."""
from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from servicedesk import params

from .models import Asset, Channel, Contact, Customer, CustomerPhone, Region, ServicePlanItem
from .phones import normalise_phone
from .services import PhoneInput

MAX_PHONES = 3
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=DATETIME_LOCAL, **kwargs)


class TierField(forms.ChoiceField):
    """The service tier: choices come from the tiers table (set by the form); any code passes here and is
    checked against the table in the form's clean() / the service, which say what is wrong with it."""

    def valid_value(self, value):
        return True


class TierFilterField(forms.ChoiceField):
    """A tier filter of a list or report: every tier, retired ones too (old rows still have them)."""

    def __init__(self, *, empty_label, **kwargs):
        from .tiers import tier_choices

        super().__init__(choices=lambda: [("", empty_label), *tier_choices(retired=True)], required=False, **kwargs)


class CustomerForm(forms.Form):
    """Create or edit a customer: up to three phones, normalised to E.164 (default region CN)."""

    kind = forms.ChoiceField(label=_("Person or organisation"), choices=Customer.Kind.choices, initial=Customer.Kind.PERSON)
    name = forms.CharField(label=_("Name"), max_length=200)
    phone1 = forms.CharField(label=_("Phone"), max_length=40, help_text=_("e.g. 138 1234 5678 or 010-12345678"))
    label1 = forms.ChoiceField(label=_("Type"), choices=CustomerPhone.Label.choices, initial=CustomerPhone.Label.MOBILE)
    phone2 = forms.CharField(label=_("Second phone"), max_length=40, required=False)
    label2 = forms.ChoiceField(label=_("Type"), choices=CustomerPhone.Label.choices, initial=CustomerPhone.Label.LANDLINE)
    phone3 = forms.CharField(label=_("Third phone"), max_length=40, required=False)
    label3 = forms.ChoiceField(label=_("Type"), choices=CustomerPhone.Label.choices, initial=CustomerPhone.Label.OFFICE)
    email = forms.EmailField(label=_("Email"), required=False)
    preferred_channel = forms.ChoiceField(
        label=_("Messages by"), choices=Customer.MessageChannel.choices, required=False,
        help_text=_("How replies and complaint results reach the customer. If that way is not possible, the other is used."))
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.all(), required=False)
    tier = TierField(label=_("Service tier"), help_text=_("Decides the SLA targets."))
    is_key_account = forms.BooleanField(label=_("Key account"), required=False)
    channel = forms.ChoiceField(label=_("First contact through"), choices=Channel.choices, initial=Channel.PHONE)
    notes = forms.CharField(label=_("Notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    # Issue 17: customer care dates, and the key account's manager (only for holders of change_ownership).
    care_date = params.DateField(label=_("Birthday or founding day"), required=False, widget=DateInput(),
                                 help_text=_("A person's birthday; an organisation's founding or opening day."))
    care_greetings = forms.BooleanField(label=_("Greeting messages"), required=False,
                                        help_text=_("The customer agreed to receive a greeting message on this day."))
    account_manager = forms.ModelChoiceField(label=_("Account manager"), queryset=get_user_model().objects.none(),
                                             required=False)

    def __init__(self, *args, editing: bool = False, can_name_manager: bool = False, customer: Customer | None = None,
                 **kwargs):
        super().__init__(*args, **kwargs)
        from .tiers import tier_choices, tier_default_code

        # Active tiers meant for the customer's kind (issue 17: enterprise levels for organisations only),
        # plus the tier the customer has now, even if it was retired since: keeping it is allowed.
        self.customer = customer
        kind = (self.data.get("kind") if self.is_bound else None) or self.initial.get("kind") or Customer.Kind.PERSON
        if kind not in Customer.Kind.values:
            kind = Customer.Kind.PERSON
        current = customer.tier if customer is not None else None
        self.fields["tier"].choices = tier_choices(kind=kind, include=current)
        if not self.initial.get("tier"):
            self.fields["tier"].initial = tier_default_code(kind)
        if editing:
            # First-contact attribution is recorded once, on creation (domain.md §2).
            del self.fields["channel"]
        if can_name_manager:
            from .services import account_manager_candidates

            self.fields["account_manager"].queryset = account_manager_candidates()
            self.fields["account_manager"].label_from_instance = lambda u: u.get_full_name() or u.get_username()
        else:
            del self.fields["account_manager"]

    def _clean_phone(self, name):
        raw = self.cleaned_data.get(name, "").strip()
        if raw:
            normalise_phone(raw)  # raises a translated ValidationError for the field
        return raw

    def clean_phone1(self):
        return self._clean_phone("phone1")

    def clean_phone2(self):
        return self._clean_phone("phone2")

    def clean_phone3(self):
        return self._clean_phone("phone3")

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("Enter the customer's name."), code="required")
        return name

    def clean(self):
        data = super().clean()
        from .tiers import tier_check

        if data.get("tier") and data.get("kind"):
            try:
                tier_check(code=data["tier"], kind=data["kind"],
                           current=self.customer.tier if self.customer else None,
                           current_kind=self.customer.kind if self.customer else None)
            except ValidationError as e:
                self.add_error("tier", e.message_dict["tier"])
        return data

    def phone_inputs(self) -> list[PhoneInput]:
        return [
            PhoneInput(self.cleaned_data[f"phone{i}"], self.cleaned_data[f"label{i}"])
            for i in range(1, MAX_PHONES + 1)
            if self.cleaned_data.get(f"phone{i}")
        ]

    def customer_fields(self) -> dict:
        keys = ("kind", "name", "email", "preferred_channel", "address", "region", "tier", "is_key_account", "notes",
                "care_date", "care_greetings")
        return {k: self.cleaned_data[k] for k in keys}

    @classmethod
    def initial_for(cls, customer: Customer) -> dict:
        initial = {
            "kind": customer.kind,
            "name": customer.name,
            "email": customer.email,
            "preferred_channel": customer.preferred_channel,
            "address": customer.address,
            "region": customer.region_id,
            "tier": customer.tier,
            "is_key_account": customer.is_key_account,
            "notes": customer.notes,
            "care_date": customer.care_date,
            "care_greetings": customer.care_greetings,
            "account_manager": customer.account_manager_id,
        }
        for i, phone in enumerate(customer.phones.all()[:MAX_PHONES], start=1):
            initial[f"phone{i}"] = phone.number
            initial[f"label{i}"] = phone.label
        return initial


class OwnerForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("New owner"), queryset=get_user_model().objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (
            get_user_model().objects.filter(is_active=True, groups__isnull=False).distinct().order_by("username")
        )


class AssetForm(forms.ModelForm):
    class Meta:
        model = Asset
        fields = ["product", "model", "serial_number", "install_date", "warranty_end", "location", "notes"]
        widgets = {
            "install_date": DateInput(),
            "warranty_end": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def clean(self):
        data = super().clean()
        install, warranty = data.get("install_date"), data.get("warranty_end")
        if install and warranty and warranty < install:
            self.add_error("warranty_end", _("The warranty cannot end before the install date."))
        return data


class ContactForm(forms.Form):
    """Log a walk-in or a call in under a minute: everything has a sensible default but the purpose."""

    customer = forms.ModelChoiceField(
        queryset=Customer.objects.filter(merged_into__isnull=True), required=False, widget=forms.HiddenInput
    )
    caller_name = forms.CharField(label=_("Caller's name"), max_length=200, required=False)
    caller_phone = forms.CharField(label=_("Caller's phone"), max_length=40, required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    direction = forms.ChoiceField(label=_("Direction"), choices=Contact.Direction.choices, initial=Contact.Direction.INBOUND)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Contact.Purpose.choices, initial=Contact.Purpose.INQUIRY)
    notes = forms.CharField(label=_("Notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    started_at = params.DateTimeField(label=_("Started"), widget=DateTimeLocalInput(), input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"])
    ended_at = params.DateTimeField(
        label=_("Ended"), required=False, widget=DateTimeLocalInput(), input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and "started_at" not in self.initial:
            self.initial["started_at"] = timezone.localtime().strftime(DATETIME_LOCAL)

    def clean(self):
        data = super().clean()
        started, ended = data.get("started_at"), data.get("ended_at")
        if started and ended and ended < started:
            self.add_error("ended_at", _("The end cannot be before the start."))
        if not data.get("customer") and not (data.get("caller_name", "").strip() or data.get("caller_phone", "").strip()):
            raise ValidationError(_("Choose a customer, or note the caller's name or phone."), code="anonymous")
        return data


class MergeForm(forms.Form):
    survivor = forms.ChoiceField(label=_("Keep"), widget=forms.RadioSelect)

    def __init__(self, *args, first: Customer, second: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.first, self.second = first, second
        self.fields["survivor"].choices = [
            (str(first.pk), f"{first.name} (#{first.pk})"),
            (str(second.pk), f"{second.name} (#{second.pk})"),
        ]
        self.fields["survivor"].initial = str(first.pk)

    def pair(self) -> tuple[Customer, Customer]:
        """(survivor, duplicate)"""
        if self.cleaned_data["survivor"] == str(self.first.pk):
            return self.first, self.second
        return self.second, self.first


class ExportForm(forms.Form):
    tier = TierFilterField(label=_("Service tier"), empty_label=_("All tiers"))
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.all(), required=False, empty_label=_("All regions"))
    key_accounts = forms.BooleanField(label=_("Key accounts only"), required=False)
    fmt = forms.ChoiceField(label=_("File format"), choices=[("xlsx", _("Excel (.xlsx)")), ("csv", _("CSV"))],
                            initial="xlsx", required=False, widget=forms.RadioSelect)


class AccessLogForm(forms.Form):
    """Filters of the personal-data access log (issue 19 item 10): one customer or one person, a date range."""

    customer = forms.IntegerField(label=_("Customer ID"), required=False, min_value=1, max_value=2**63 - 1)
    user = forms.ModelChoiceField(label=_("Person"), queryset=None, required=False, empty_label=_("Everyone"))
    action = forms.ChoiceField(label=_("What"), required=False)
    date_from = params.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = params.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        from django.contrib.auth import get_user_model

        from .models import PersonalDataAccess

        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = get_user_model().objects.filter(is_active=True).order_by("first_name", "username")
        self.fields["user"].label_from_instance = lambda u: u.get_full_name() or u.get_username()
        self.fields["action"].choices = [("", _("Everything")), *PersonalDataAccess.Action.choices]

    @staticmethod
    def defaults() -> dict:
        today = timezone.localdate()
        return {"customer": None, "user": None, "action": "", "date_from": today - timedelta(days=30), "date_to": today}

    def clean(self):
        data = super().clean()
        d = self.defaults()
        data["date_from"] = data.get("date_from") or d["date_from"]
        data["date_to"] = data.get("date_to") or d["date_to"]
        if data.get("customer"):
            customer = Customer.objects.filter(pk=data["customer"]).only("pk", "name").first()
            if customer is None:
                self.add_error("customer", _("No customer has this ID."))
            data["customer"] = customer
        if data["date_from"] > data["date_to"]:
            self.add_error(None, forms.ValidationError(_("The start date is after the end date."), code="range"))
        return data


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("Customer file (.csv or .xlsx)"),
                           help_text=_("One customer per row, with a header row. CSV in UTF-8 or GB18030 (as Excel saves it)."))

    def clean_file(self):
        from .importer import check_upload

        f = self.cleaned_data["file"]
        check_upload(f)
        return f


class ImportMappingForm(forms.Form):
    """Which column of the file holds each of our fields (issue 19 item 8)."""

    def __init__(self, *args, headers=(), initial_mapping=None, **kwargs):
        from .importer import TARGETS

        super().__init__(*args, **kwargs)
        choices = [("", _("— not in the file —"))] + [(str(i), h or f"#{i + 1}") for i, h in enumerate(headers)]
        for key, (label, required, _names) in TARGETS.items():
            initial = (initial_mapping or {}).get(key)
            self.fields[key] = forms.ChoiceField(label=label, choices=choices, required=required,
                                                 initial="" if initial is None else str(initial),
                                                 error_messages={"required": _("Choose the column that holds this.")})

    def mapping(self) -> dict:
        return {k: int(v) for k, v in self.cleaned_data.items() if v not in ("", None)}

    def clean(self):
        data = super().clean()
        used: dict[str, str] = {}
        for key, value in list(data.items()):
            if value in ("", None):
                continue
            if value in used:
                self.add_error(key, _("This column is already used for “%(other)s”.") % {
                    "other": self.fields[used[value]].label})
            used[value] = key
        return data


class RetentionForm(forms.ModelForm):
    class Meta:
        from .models import RetentionPolicy

        model = RetentionPolicy
        fields = ["ticket_years", "file_months", "access_log_months"]


class EraseForm(forms.Form):
    reason = forms.CharField(label=_("The person's request"), max_length=500,
                             help_text=_("When and how they asked (e.g. letter of 3 March, ref. 2026-17)."),
                             error_messages={"required": _("Say how the person asked for the erasure.")})
    confirm = forms.BooleanField(label=_("Erase this person's personal data now; it cannot be undone"),
                                 error_messages={"required": _("Tick the box to confirm the erasure.")})


class ServicePlanForm(forms.Form):
    summary = forms.CharField(label=_("Plan"), max_length=10000, required=False, widget=forms.Textarea(attrs={"rows": 5}))


class ServicePlanItemForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *ServicePlanItem.Kind.choices],
                             required=False)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    details = forms.CharField(label=pgettext_lazy("service plan", "Details"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 1}))

    def clean(self):
        data = super().clean()
        if data.get("title") and not data.get("kind"):
            self.add_error("kind", _("Choose what this item is."))
        if data.get("kind") and not data.get("title"):
            self.add_error("title", _("Give the item a title."))
        return data


ServicePlanItemFormSet = forms.formset_factory(ServicePlanItemForm, extra=3, max_num=50, validate_max=True)
