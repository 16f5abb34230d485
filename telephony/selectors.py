"""Reads for the caller's card: which call waits for this person, and what the card shows."""
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import OuterRef, Prefetch, Subquery
from django.utils import timezone

from customers.models import Asset, Contact, Customer, CustomerPhone
from customers.selectors import open_tickets_subquery
from servicedesk.models import StaffProfile

from .models import Call

# A card nobody logged or dismissed stops popping after this long (a call forgotten over lunch).
POP_WINDOW = timedelta(minutes=30)
OPEN_TICKETS_SHOWN = 5
CONTACTS_SHOWN = 3


def _pending(user_id, now):
    """Calls shown to this person that they have neither logged nor dismissed, newest first (partial index)."""
    return (Call.objects.filter(user_id=user_id, contact__isnull=True, dismissed_at__isnull=True,
                                rang_at__gte=(now or timezone.now()) - POP_WINDOW).order_by("-rang_at"))


def _state(pk, ended) -> str:
    return f"{pk}:{'e' if ended else 'r'}" if pk else ""


def call_pending_for(*, user, now=None) -> Call | None:
    """The newest call waiting for this person's log or dismissal."""
    return _pending(user.pk, now).first()


def pop_probe(*, user, now=None) -> tuple[str, str]:
    """(the person's extension, the state of their pending call) in ONE query: what every poll asks."""
    pending = _pending(OuterRef("user_id"), now)
    row = (StaffProfile.objects.filter(user_id=user.pk)
           .annotate(call_pk=Subquery(pending.values("pk")[:1]), call_ended=Subquery(pending.values("ended_at")[:1]))
           .values_list("extension", "call_pk", "call_ended").first())
    if row is None or not row[0]:
        return "", ""
    extension, pk, ended = row
    return extension, _state(pk, ended)


def pop_state(call: Call | None) -> str:
    """What the page already shows, as a short token: the card is swapped only when this changes."""
    return _state(call.pk, call.ended_at) if call else ""


@dataclass
class CallerCard:
    call: Call
    customer: Customer | None
    open_tickets: list
    open_ticket_count: int
    contacts: list
    assets: list
    today: object


def caller_card(*, call: Call) -> CallerCard:
    """Everything the card shows, in a fixed number of queries whatever the customer's history (≤ 5)."""
    from tickets.models import Ticket

    customer = None
    if call.customer_id:
        customer = (Customer.objects.select_related("region", "owner")
                    .prefetch_related(Prefetch("phones", queryset=CustomerPhone.objects.order_by("-is_primary", "pk")),
                                      Prefetch("assets", queryset=Asset.objects.order_by("-install_date", "pk")))
                    .annotate(open_tickets=open_tickets_subquery())
                    .filter(pk=call.customer_id).first())
    open_tickets, open_count, contacts, assets = [], 0, [], []
    if customer is not None:
        open_tickets = list(Ticket.objects.filter(customer=customer, status__in=Ticket.OPEN_STATUSES)
                            .order_by("-created_at", "-pk")[:OPEN_TICKETS_SHOWN])
        open_count = customer.open_tickets
        contacts = list(Contact.objects.filter(customer=customer).select_related("handled_by")
                        .order_by("-started_at", "-pk")[:CONTACTS_SHOWN])
        assets = list(customer.assets.all())
    return CallerCard(call=call, customer=customer, open_tickets=open_tickets, open_ticket_count=open_count,
                      contacts=contacts, assets=assets, today=timezone.localdate())


def calls_recent():
    """The call log (newest first) for supervisors: who was shown which call, and whether it was logged."""
    return Call.objects.select_related("customer", "user", "contact").order_by("-rang_at")
