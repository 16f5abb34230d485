from datetime import datetime, time, timedelta

import django_filters
from django.utils import timezone
from django import forms
from django.db.models import Exists, F, OuterRef
from django.utils.translation import gettext_lazy as _

from customers.models import Channel
from servicedesk import params
from servicedesk.widgets import FastSelect, fast_input

from .models import Ticket, TicketTag
from .selectors import tag_choices, ticket_search, ticket_staff_choices

OPEN = "open"


def _local_midnight(day):
    return timezone.make_aware(datetime.combine(day, time.min))

def _tier_choices():
    from customers.tiers import tier_choices

    return tier_choices(retired=True)  # tiers are data (issue 17); old tickets may have a retired one


class DateFilter(django_filters.DateFilter):
    field_class = params.DateField  # 2000..2100: a day either side of 9999-12-31 overflows


STATUS_CHOICES = [(OPEN, _("All open")), *Ticket.Status.choices]
SORTS = {
    "due": (F("sla_due_at").asc(nulls_last=True), "id"),  # indexed (ticket_sla_due_idx); none running → last
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
    "priority": ("priority", "-created_at", "-id"),
    "-updated": ("-updated_at", "-id"),
}
SORT_CHOICES = [("-created", _("Newest first")), ("created", _("Oldest first")), ("priority", _("Most urgent")),
                ("due", _("SLA due first")), ("-updated", _("Recently changed"))]


class TicketFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q",
                                  widget=forms.TextInput(attrs={"placeholder": _("Number, subject or customer"),
                                                                         "data-shortcut-search": ""}))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=STATUS_CHOICES, method="filter_status",
                                         empty_label=_("Any status"))
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Ticket.Kind.choices, empty_label=_("Any kind"))
    priority = django_filters.ChoiceFilter(label=_("Priority"), choices=Ticket.Priority.choices,
                                           empty_label=_("Any priority"))
    tier = django_filters.ChoiceFilter(label=_("Customer tier"), field_name="customer__tier",
                                       choices=_tier_choices, empty_label=_("Any tier"))
    # Staff choices: (pk, name) pairs from one query (ticket_staff_choices), set in __init__.
    assignee = django_filters.ChoiceFilter(label=_("Assignee"), choices=[], empty_label=_("Anyone"),
                                           null_label=_("Unassigned"))
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Channel.choices, empty_label=_("Any channel"))
    # Issue 17: 首问责任制 and the green channel.
    first_inquiry_owner = django_filters.ChoiceFilter(label=_("First-inquiry owner"), choices=[],
                                                      empty_label=_("Anyone"))
    key_account = django_filters.ChoiceFilter(label=_("Key account"), field_name="is_key_account",
                                              choices=[("1", _("Key accounts")), ("0", _("Other customers"))],
                                              empty_label=_("Any customer"), method="filter_key_account")
    # Issue 19: the managed tags (choices kept per thread: no query for the bar itself).
    tag = django_filters.ChoiceFilter(label=_("Tag"), choices=[], empty_label=_("Any tag"), method="filter_tag")
    created_from = DateFilter(label=_("Opened from"), method="filter_created_from",
                                             widget=forms.DateInput(attrs={"type": "date"}))
    created_to = DateFilter(label=_("Opened until"), method="filter_created_to",
                                           widget=forms.DateInput(attrs={"type": "date"}))
    sort = django_filters.ChoiceFilter(label=_("Sort"), choices=SORT_CHOICES, method="filter_sort",
                                       empty_label=None)

    class Meta:
        model = Ticket
        fields = []

    def __init__(self, data=None, *args, staff_choices=None, **kwargs):
        data = data.copy() if data is not None else None
        if data is not None:
            # The default view is the open tickets, newest first; "status=" (blank) means any.
            if "status" not in data:
                data["status"] = OPEN
            if not data.get("sort"):
                data["sort"] = "-created"
        super().__init__(data, *args, **kwargs)
        workers, owners = staff_choices or ticket_staff_choices()
        self.filters["assignee"].extra["choices"] = workers
        self.filters["first_inquiry_owner"].extra["choices"] = owners
        self.filters["tag"].extra["choices"] = tag_choices()
        # Plain Bootstrap widgets (rendered without crispy: this form is on the busiest page).
        for name, fld in self.form.fields.items():
            if isinstance(fld.widget, forms.Select):
                fld.widget = FastSelect.replacing(fld.widget)
                fld.widget.attrs["class"] = "form-select form-select-sm"
            else:
                fld.widget = fast_input(fld.widget)
                fld.widget.attrs["class"] = "form-control form-control-sm"

    def filter_q(self, qs, name, value):
        return ticket_search(qs, value)

    def filter_tag(self, qs, name, value):
        # EXISTS on (tag, ticket) (tickettag_tag_ticket_idx): the list's order and plan stay the ticket's own.
        return qs.filter(Exists(TicketTag.objects.filter(tag_id=int(value), ticket_id=OuterRef("pk"))))

    def filter_key_account(self, qs, name, value):
        return qs.filter(is_key_account=value == "1")

    def filter_status(self, qs, name, value):
        if value == OPEN:
            return qs.filter(status__in=Ticket.OPEN_STATUSES)
        return qs.filter(status=value)

    # Day bounds in the department's time zone, as datetimes: created_at stays index-usable.
    def filter_created_from(self, qs, name, value):
        return qs.filter(created_at__gte=_local_midnight(value))

    def filter_created_to(self, qs, name, value):
        return qs.filter(created_at__lt=_local_midnight(value + timedelta(days=1)))

    def filter_sort(self, qs, name, value):
        return qs.order_by(*SORTS.get(value, SORTS["-created"]))

    @property
    def qs(self):
        qs = super().qs
        if not qs.query.order_by:
            qs = qs.order_by(*SORTS["-created"])
        return qs
