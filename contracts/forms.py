from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from customers.models import Asset, Customer
from servicedesk import params

from . import selectors
from .models import ContractLevel, ServiceContract


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.username


class AssetsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


class ContractForm(forms.Form):
    customer = forms.ModelChoiceField(
        label=_("Customer ID"), queryset=Customer.objects.filter(merged_into__isnull=True),
        widget=forms.NumberInput(attrs={"min": 1}), help_text=_("The number at the end of the customer page's address."),
        error_messages={"invalid_choice": _("There is no such customer.")})
    level = forms.ModelChoiceField(label=_("Level"), queryset=ContractLevel.objects.filter(active=True))
    start_date = params.DateField(label=_("Start"), widget=DateInput())
    end_date = params.DateField(label=_("End"), widget=DateInput())
    price = forms.DecimalField(label=_("Price (CNY)"), min_value=Decimal("0"), max_value=Decimal("9999999999"),
                               max_digits=12, decimal_places=2)
    assets = AssetsField(label=_("Assets covered"), queryset=Asset.objects.none(), required=False,
                         widget=forms.CheckboxSelectMultiple,
                         help_text=_("Only this customer's assets can be covered."))
    notes = forms.CharField(label=_("Notes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, contract: ServiceContract | None = None, customer_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        if contract is not None:
            self.fields["level"].queryset = ContractLevel.objects.filter(pk=contract.level_id) | \
                ContractLevel.objects.filter(active=True)
            customer_id = contract.customer_id
            self.fields["customer"].disabled = True
        raw = self.data.get("customer") if self.is_bound and contract is None else customer_id
        try:
            cid = int(raw)
        except (TypeError, ValueError):
            cid = None
        if cid is not None and 0 < cid <= params.INT_MAX:
            self.fields["assets"].queryset = Asset.objects.filter(customer_id=cid).order_by("product", "pk")
        self.fields["assets"].error_messages["invalid_choice"] = _("A contract covers only the customer's own assets.")

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", ValidationError(_("The contract cannot end before it starts."), code="end_before_start"))
        return data


STATUS_CHOICES = [("", _("Any status")), ("active", pgettext_lazy("contract status", "Active")),
                  ("expiring", pgettext_lazy("contract status", "Expiring")),
                  ("expired", pgettext_lazy("contract status", "Expired"))]


class ContractFilterForm(forms.Form):
    customer = params.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    manager = forms.ChoiceField(label=_("Account manager"), required=False)
    level = forms.ModelChoiceField(label=_("Level"), queryset=ContractLevel.objects.all(), required=False,
                                   empty_label=_("Any level"))
    ending = forms.IntegerField(label=_("Ending within (days)"), required=False, min_value=0, max_value=3650)
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].choices = manager_choices()
        _bootstrap(self)

    def clean_manager(self):
        value = self.cleaned_data.get("manager") or ""
        if value in ("", selectors.NO_MANAGER):
            return value
        return get_user_model().objects.get(pk=int(value))


def _bootstrap(form) -> None:
    for field in form.fields.values():
        css = "form-select form-select-sm" if isinstance(field.widget, forms.Select) else "form-control form-control-sm"
        field.widget.attrs.setdefault("class", css)


def manager_choices(*, blank=True) -> list:
    """Choices of account manager: (any,) no account manager, and every person named one (one query)."""
    out = [("", _("Any account manager"))] if blank else []
    out.append((selectors.NO_MANAGER, _("No account manager")))
    out += [(str(u.pk), u.get_full_name() or u.username) for u in selectors.account_managers()]
    return out


RENEWAL_DAYS = [(7, _("7 days")), (30, _("30 days")), (60, _("60 days")), (90, _("90 days"))]


class RenewalsFilterForm(forms.Form):
    manager = forms.ChoiceField(label=_("Account manager"), required=False)
    days = forms.TypedChoiceField(label=_("Ending within"), choices=RENEWAL_DAYS, coerce=int, required=False,
                                  empty_value=selectors.RENEWALS_DAYS, initial=selectors.RENEWALS_DAYS)

    def __init__(self, *args, choose_manager: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if choose_manager:
            self.fields["manager"].choices = [("", _("Me"))] + manager_choices(blank=False)
        else:
            del self.fields["manager"]
        _bootstrap(self)
