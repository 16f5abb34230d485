from datetime import date

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.forms import TierFilterField
from customers.models import Channel, Customer, Region
from servicedesk import params
from tickets.models import Ticket

from . import selectors
from .models import Callback, DissatisfiedAction, FollowupPolicy


class CallbackRecordForm(forms.Form):
    RESULT_CHOICES = [("reached", _("Reached the customer")), ("no_answer", _("No answer"))]

    result = forms.ChoiceField(label=_("Call result"), choices=RESULT_CHOICES, widget=forms.RadioSelect)
    outcome = forms.ChoiceField(label=_("Is the customer satisfied?"), choices=Callback.Outcome.choices,
                                widget=forms.RadioSelect, required=False)
    action = forms.ChoiceField(label=_("If not satisfied"), choices=DissatisfiedAction.choices,
                               widget=forms.RadioSelect, required=False)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                            max_length=5000)
    problem = forms.CharField(
        label=_("Problem raised by the customer (to be answered within 5 working days)"),
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000,
    )

    def __init__(self, *args, policy=None, **kwargs):
        super().__init__(*args, **kwargs)
        if policy is not None:
            self.fields["action"].initial = policy.dissatisfied_action

    def clean(self):
        data = super().clean()
        if data.get("result") == "reached" and not data.get("outcome"):
            self.add_error("outcome", _("Say whether the customer is satisfied."))
        return data


class CallbackCancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=500)


class CallbackScheduleForm(forms.Form):
    ticket_number = forms.CharField(label=_("Ticket number"), required=False, max_length=20,
                                    help_text=_("e.g. SR-2026-000123; or give the customer's phone below"))
    phone = forms.CharField(label=_("Customer phone"), required=False, max_length=40)
    due_at = params.DateTimeField(label=_("Call at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                                 format="%Y-%m-%dT%H:%M"))
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=get_user_model().objects.none(), required=False,
                                   help_text=_("Empty: yourself"))
    notes = forms.CharField(label=_("What to check"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                            max_length=5000)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        User = get_user_model()
        if user is not None and user.has_perm("followups.view_all_callbacks"):
            self.fields["owner"].queryset = User.objects.filter(
                groups__name__in=["agent", "supervisor"], is_active=True).distinct().order_by("username")
        else:
            del self.fields["owner"]

    def clean(self):
        data = super().clean()
        number = (data.get("ticket_number") or "").strip().upper()
        phone = (data.get("phone") or "").strip()
        data["ticket"] = None
        data["customer"] = None
        if number:
            ticket = Ticket.objects.select_related("customer").filter(number=number).first()
            if ticket is None:
                self.add_error("ticket_number", _("No ticket with that number."))
            else:
                data["ticket"], data["customer"] = ticket, ticket.customer
        elif phone:
            from customers.phones import normalise_phone

            try:
                normalised = normalise_phone(phone)
            except Exception:
                normalised = None
            number_e164 = getattr(normalised, "e164", normalised) if normalised else None
            customer = Customer.objects.filter(phones__number=number_e164).first() if number_e164 else None
            if customer is None:
                self.add_error("phone", _("No customer with that phone number."))
            data["customer"] = customer
        else:
            raise forms.ValidationError(_("Give a ticket number or the customer's phone."))
        return data


class PolicyForm(forms.ModelForm):
    class Meta:
        model = FollowupPolicy
        exclude = ["updated_by"]


_BTN = forms.RadioSelect(attrs={"class": "btn-check", "autocomplete": "off"})
SCORE_CHOICES = [(i, str(i)) for i in range(1, 6)]
RECOMMEND_CHOICES = [(i, str(i)) for i in range(0, 11)]


class SurveyForm(forms.Form):
    """The public survey. TypedChoiceField refuses a tampered value (e.g. 9 for a 1–5 score)."""

    overall = forms.TypedChoiceField(label=_("Overall, how satisfied are you?"), choices=SCORE_CHOICES, coerce=int,
                                     widget=_BTN)
    reliability = forms.TypedChoiceField(label=_("The problem was fixed properly"), choices=SCORE_CHOICES,
                                         coerce=int, widget=_BTN)
    responsiveness = forms.TypedChoiceField(label=_("We were quick to respond"), choices=SCORE_CHOICES, coerce=int,
                                            widget=_BTN)
    assurance = forms.TypedChoiceField(label=_("Our staff knew their job"), choices=SCORE_CHOICES, coerce=int,
                                       widget=_BTN)
    empathy = forms.TypedChoiceField(label=_("Our staff were friendly and caring"), choices=SCORE_CHOICES,
                                     coerce=int, widget=_BTN)
    tangibles = forms.TypedChoiceField(label=_("Neat appearance, tidy work"), choices=SCORE_CHOICES, coerce=int,
                                       widget=_BTN)
    recommend = forms.TypedChoiceField(label=_("How likely are you to recommend us to a friend?"),
                                       choices=RECOMMEND_CHOICES, coerce=int, widget=_BTN)
    comment = forms.CharField(label=_("Anything else you would like to tell us?"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}))

    DIMENSIONS = ["reliability", "responsiveness", "assurance", "empathy", "tangibles"]


def month_choices(now, count=24):
    months = selectors.months_back(timezone.localtime(now).date(), count)
    return [(m.strftime("%Y-%m"), m.strftime("%Y-%m")) for m in reversed(months)]


class SatisfactionFilterForm(forms.Form):
    start = forms.ChoiceField(label=_("From month"), required=False)
    end = forms.ChoiceField(label=_("To month"), required=False)
    segment = forms.ChoiceField(label=_("Break down by"), choices=list(selectors.SEGMENTS.items()), required=False)
    tier = TierFilterField(label=_("Service tier"), empty_label=_("All"))
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.all(), required=False,
                                    empty_label=_("All"))
    channel = forms.ChoiceField(label=_("Channel"), choices=[("", _("All"))] + list(Channel.choices), required=False)
    ticket_kind = forms.ChoiceField(label=_("Ticket kind"), choices=[("", _("All"))] + list(Ticket.Kind.choices),
                                    required=False)
    max_overall = forms.TypedChoiceField(label=_("Comments with overall at most"), coerce=int, required=False,
                                         empty_value=None,
                                         choices=[("", _("Any"))] + [(i, str(i)) for i in range(1, 6)])
    q = forms.CharField(label=_("Comment contains"), required=False, max_length=100)

    def __init__(self, *args, now, **kwargs):
        super().__init__(*args, **kwargs)
        choices = month_choices(now)
        self.fields["start"].choices = choices
        self.fields["end"].choices = choices
        self.now = now
        default_months = selectors.months_back(timezone.localtime(now).date(), 12)
        self.fields["start"].initial = default_months[0].strftime("%Y-%m")
        self.fields["end"].initial = default_months[-1].strftime("%Y-%m")
        if self.is_bound:
            # A link that sets only some filters (?segment=region) keeps the default months, and the
            # selects must show them: with no option selected the browser shows the first one (this
            # month), and "Apply" would quietly narrow the period to it.
            data = self.data.copy()
            for name in ("start", "end"):
                if not data.get(name):
                    data[name] = self.fields[name].initial
            self.data = data
        for name, field in self.fields.items():
            css = "form-control form-control-sm" if name == "q" else "form-select form-select-sm"
            field.widget.attrs.setdefault("class", css)

    def period(self) -> tuple[date, date]:
        today = timezone.localtime(self.now).date()
        months = selectors.months_back(today, 12)
        start, end = months[0], months[-1]
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("start"):
            start = date.fromisoformat(data["start"] + "-01")
        if data.get("end"):
            end = date.fromisoformat(data["end"] + "-01")
        if end < start:
            start, end = end, start
        return start, end

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "tier": data.get("tier") or "",
            "region": data["region"].pk if data.get("region") else None,
            "channel": data.get("channel") or "",
            "ticket_kind": data.get("ticket_kind") or "",
        }
