from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from customers.models import Channel
from servicedesk import params
from servicedesk.widgets import FastRadioSelect, fast_input

from .models import Complaint, Department, FaultCause, Tag, Ticket, TicketSettings
from .uploads import check_upload


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        return [super(MultipleFileField, self).clean(f, initial) for f in files if f]


class _ShownLater:
    """A help text computed when it is displayed (a BoundField only tests it for truth when built)."""

    def __init__(self, make):
        self.make = make

    def __bool__(self):
        return True

    def __str__(self):
        return str(self.make())


class AttachmentsMixin(forms.Form):
    attachments = MultipleFileField(
        label=_("Attachments"), required=False,
        help_text=_("Photos, PDF, text, Word or Excel files; each up to %(mb)s MB."),
    )

    def _setup_attachments(self):
        # Read the settings row only when the limit is shown or a file is checked: a POST without files
        # (most tickets) does not need it.
        text = self.fields["attachments"].help_text
        self.fields["attachments"].help_text = _ShownLater(lambda: text % {"mb": self.max_mb})

    @cached_property
    def max_mb(self) -> int:
        return TicketSettings.current().attachment_max_mb

    def clean_attachments(self):
        files = self.cleaned_data.get("attachments") or []
        if len(files) > 10:
            raise ValidationError(_("Attach at most 10 files at a time."), code="too_many")
        checked, errors = [], []
        for f in files:
            try:
                checked.append((f, check_upload(f, max_mb=self.max_mb)))
            except ValidationError as e:
                errors.extend(e.messages)
        if errors:
            raise ValidationError(errors)
        return checked


class TicketCreateForm(AttachmentsMixin):
    kind = forms.ChoiceField(label=_("Kind"), choices=Ticket.Kind.choices,
                             widget=forms.RadioSelect(attrs={"class": "btn-check"}))
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Ticket.Priority.choices, coerce=int,
                                      initial=Ticket.Priority.NORMAL)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 5}), required=False,
                                  max_length=20000)
    asset = forms.ModelChoiceField(label=_("Product / asset"), queryset=None, required=False,
                                   empty_label=_("— none —"))
    client_token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.fields["asset"].queryset = customer.assets.all()
        self._setup_attachments()

    def clean_subject(self):
        subject = self.cleaned_data["subject"].strip()
        if not subject:
            raise ValidationError(_("Give the ticket a short subject."), code="required")
        return subject


class VersionedForm(forms.Form):
    """Every form on the ticket page carries the version it was built from (optimistic concurrency)."""

    version = params.IntegerField(widget=forms.HiddenInput)


class ReplyForm(VersionedForm):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 4}), max_length=20000,
                           error_messages={"required": _("Write something before sending.")})
    public = forms.TypedChoiceField(
        label=_("Visibility"), coerce=lambda v: v == "1", initial="1",
        choices=[("1", _("Public reply to the customer")), ("0", _("Internal note"))],
        widget=FastRadioSelect(attrs={"class": "form-check-input"}),
    )
    client_token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    # Issue 19: the canned reply / macro chosen in the reply box; its actions run when this is sent.
    macro = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].required = False  # a macro of actions only sends no text
        for name in ("version", "client_token", "macro"):  # on every ticket page: <input> written in Python
            fast_input(self.fields[name].widget)

    def clean(self):
        data = super().clean()
        body = (data.get("body") or "").strip()
        data["body"] = body
        if not body and not data.get("macro") and "body" not in self.errors:
            self.add_error("body", ValidationError(_("Write something before sending."), code="required"))
        return data


class StatusForm(VersionedForm):
    to_status = forms.ChoiceField(label=_("New status"), choices=Ticket.Status.choices)
    reason = forms.CharField(label=_("Reason / note"), required=False, max_length=500)

    def __init__(self, *args, allowed=(), **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Ticket.Status.choices)
        self.fields["to_status"].choices = [(s, labels[s]) for s in allowed
                                            if s not in (Ticket.Status.RESOLVED,)]

    def clean(self):
        data = super().clean()
        if data.get("to_status") == Ticket.Status.CANCELLED and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give a reason for cancelling."))
        return data


class AssignForm(VersionedForm):
    assignee = forms.ModelChoiceField(label=_("Assign to"), queryset=None, required=True)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500,
                             help_text=_("Required when the ticket already has an owner."))

    def __init__(self, *args, workers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = workers
        self.fields["assignee"].label_from_instance = lambda u: u.get_full_name() or u.get_username()


class FirstInquiryForm(VersionedForm):
    """A supervisor's decision to give the first inquiry (首问责任制) to someone else: always with a reason."""

    owner = forms.ModelChoiceField(label=_("First-inquiry owner"), queryset=None, required=True)
    reason = forms.CharField(label=_("Reason"), required=True, max_length=500)

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff
        self.fields["owner"].label_from_instance = lambda u: u.get_full_name() or u.get_username()


class PriorityForm(VersionedForm):
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Ticket.Priority.choices, coerce=int)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class ResolveForm(VersionedForm):
    fault_cause = forms.ModelChoiceField(label=_("Fault cause"), queryset=FaultCause.objects.filter(is_active=True),
                                         required=False, empty_label=_("— not a fault —"))
    solution = forms.CharField(label=_("Solution"), widget=forms.Textarea(attrs={"rows": 3}), max_length=10000)

    def __init__(self, *args, kind=None, **kwargs):
        super().__init__(*args, **kwargs)
        if kind == Ticket.Kind.REPAIR:
            # A repair without its cause cannot be counted as a recurring fault later.
            self.fields["fault_cause"].required = True
            self.fields["fault_cause"].empty_label = _("— choose —")

    def clean_solution(self):
        value = self.cleaned_data["solution"].strip()
        if not value:
            raise ValidationError(_("Describe the solution."), code="required")
        return value


class EditForm(VersionedForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=Ticket.Kind.choices)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False,
                                  max_length=20000)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    asset = forms.ModelChoiceField(label=_("Product / asset"), queryset=None, required=False,
                                   empty_label=_("— none —"))

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["asset"].queryset = customer.assets.all()


class AttachForm(VersionedForm, AttachmentsMixin):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_attachments()
        self.fields["attachments"].required = True


class ComplaintClassifyForm(VersionedForm):
    category = forms.ChoiceField(label=pgettext_lazy("complaint", "Category"), choices=Complaint.Category.choices)
    department = forms.ModelChoiceField(label=_("Responsible department"),
                                        queryset=Department.objects.filter(is_active=True), required=False)
    staff_member = forms.ModelChoiceField(label=_("Staff member complained about"), queryset=None, required=False)

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff_member"].queryset = staff
        self.fields["staff_member"].label_from_instance = lambda u: u.get_full_name() or u.get_username()


class ComplaintInvestigateForm(VersionedForm):
    findings = forms.CharField(label=_("Investigation findings"), widget=forms.Textarea(attrs={"rows": 3}),
                               max_length=10000)
    department = forms.ModelChoiceField(label=_("Responsible department"),
                                        queryset=Department.objects.filter(is_active=True), required=False)


class ComplaintDecideForm(VersionedForm):
    decision = forms.CharField(label=_("Decision"), widget=forms.Textarea(attrs={"rows": 3}), max_length=10000)
    remedy = forms.ChoiceField(label=_("Remedy"), choices=Complaint.Remedy.choices)
    department = forms.ModelChoiceField(label=_("Responsible department"),
                                        queryset=Department.objects.filter(is_active=True), required=False)
    staff_complaint_valid = forms.TypedChoiceField(
        label=_("Is the complaint about the staff member valid?"), required=False,
        choices=[("", _("— no staff member named —")), ("1", _("Yes, valid")), ("0", _("No, not valid"))],
        coerce=lambda v: {"1": True, "0": False}.get(v), empty_value=None,
    )


class ComplaintSolutionForm(VersionedForm):
    body = forms.CharField(label=_("Result sent to the customer"), widget=forms.Textarea(attrs={"rows": 3}),
                           max_length=20000)
    client_token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)


class ComplaintReturnVisitForm(VersionedForm):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Complaint.Outcome.choices)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False,
                            max_length=5000)


class HandoffAcceptForm(VersionedForm):
    """Accept the open hand-off (issue 17). The hand-off id makes sure the one seen is the one answered."""

    handoff = params.IntegerField(widget=forms.HiddenInput)


class HandoffRefuseForm(HandoffAcceptForm):
    reason = forms.CharField(label=_("Why does your department not answer for this complaint?"),
                             widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                             error_messages={"required": _("Give a reason for refusing the complaint.")})


class HandoffFindingsForm(HandoffAcceptForm):
    findings = forms.CharField(label=_("What the department found"), widget=forms.Textarea(attrs={"rows": 3}),
                               max_length=10000, error_messages={"required": _("Write down what the department found.")})


class CustomerPickForm(forms.Form):
    q = forms.CharField(label=_("Find the customer"), max_length=100,
                        widget=forms.TextInput(attrs={"placeholder": _("Name or phone")}))


class TagsForm(VersionedForm):
    """The ticket's tags (issue 19 item 4): pick from the managed list; new names if you may add tags."""

    tags = forms.ModelMultipleChoiceField(label=_("Tags"), queryset=Tag.objects.none(), required=False,
                                          widget=forms.CheckboxSelectMultiple)
    new_tags = forms.CharField(label=_("New tags"), required=False, max_length=200,
                               help_text=_("Separate several with commas."))

    def __init__(self, *args, can_create: bool = False, current=(), **kwargs):
        super().__init__(*args, **kwargs)
        # The offered list, plus a retired tag the ticket still carries (so saving does not drop it).
        self.fields["tags"].queryset = (Tag.objects.filter(active=True) | Tag.objects.filter(pk__in=list(current))
                                        ).order_by("name")
        if not can_create:
            del self.fields["new_tags"]

    def clean_new_tags(self):
        from .services import tag_name_clean

        raw = self.cleaned_data.get("new_tags", "").replace("，", ",")
        return [tag_name_clean(p) for p in raw.split(",") if p.strip()]


class MergeForm(VersionedForm):
    """Merge this ticket into another open ticket of the same customer and kind (issue 19 item 7)."""

    into = forms.TypedChoiceField(label=_("Merge this ticket into"), coerce=int, widget=forms.RadioSelect,
                                  error_messages={"required": _("Choose the ticket that goes on."),
                                                  "invalid_choice": _("That ticket can no longer be chosen: "
                                                                      "it was closed or merged meanwhile.")})
    confirm = forms.BooleanField(label=_("Cancel this ticket and move everything on it to the chosen one"),
                                 error_messages={"required": _("Tick the box to confirm the merge.")})

    def __init__(self, *args, candidates=(), more: bool = False, preview: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].choices = [
            (t.pk, f"{t.number} · {t.subject} ({t.get_status_display()}, {timezone.localtime(t.created_at):%Y-%m-%d})")
            for t in candidates]
        if more:
            self.fields["into"].help_text = _("The %(n)s newest are shown.") % {"n": len(candidates)}
        self.fields["confirm"].help_text = preview


class LinkForm(VersionedForm):
    """Link another ticket to this one (issue 19 item 7): the same fault, or parent and child."""

    number = forms.CharField(label=_("Ticket number"), max_length=20,
                             widget=forms.TextInput(attrs={"placeholder": "SR-2026-000123", "autocomplete": "off"}))
    role = forms.ChoiceField(label=_("It is"), initial="related", widget=forms.RadioSelect, choices=[
        ("related", _("related to this ticket (the same fault)")),
        ("child", _("a child of this ticket")),
        ("parent", _("the parent of this ticket")),
    ])

    def __init__(self, *args, ticket=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        self.other = None

    def clean_number(self):
        number = self.cleaned_data["number"].strip().upper()
        other = Ticket.objects.filter(number=number).only("pk", "number").first()
        if other is None:
            raise forms.ValidationError(_("No ticket has the number %(number)s."), params={"number": number},
                                        code="no_ticket")
        if self.ticket is not None and other.pk == self.ticket.pk:
            raise forms.ValidationError(_("A ticket cannot be linked to itself."), code="self_link")
        self.other = other
        return number


class UnlinkForm(VersionedForm):
    link = params.IntegerField(widget=forms.HiddenInput)


class TagEditForm(forms.ModelForm):
    class Meta:
        model = Tag
        fields = ["name", "colour", "active"]

    def clean_name(self):
        from .services import tag_name_clean

        return tag_name_clean(self.cleaned_data["name"])
