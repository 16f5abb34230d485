"""The REST API, version 1 (issue 16 item 2). Thin: check the input's shape, call one service, answer JSON.

Every endpoint states the scope it needs per method (`required_scopes`, checked by HasScope), its
request and response shapes for the OpenAPI schema, and keeps a fixed number of queries whatever
the number of rows (lists use cursor pagination: no COUNT).
"""
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from customers import services as customer_services
from customers.models import Contact, Customer
from customers.selectors import PHONE_LIKE_RE, customers_for_listing, customers_search
from dispatch.models import WorkOrder
from servicedesk.ratelimit import client_ip
from tickets import services as ticket_services
from tickets.models import FaultCause, Ticket, TicketReply

from . import serializers as s
from .exceptions import PayloadTooLarge
from .models import Scope
from .services import call_log_write

MAX_ID = 2**63 - 1
PHONE_ERROR_CODES = ("invalid", "too_long", "required", "phone_required")
ERRORS = {code: OpenApiResponse(s.ErrorSerializer) for code in (400, 401, 403, 404, 409, 413, 429)}
READ_ERRORS = {code: OpenApiResponse(s.ErrorSerializer) for code in (400, 401, 403, 404, 429)}


def _errors(*codes):
    return {code: OpenApiResponse(s.ErrorSerializer) for code in codes}


def get_or_404(queryset, pk):
    if not isinstance(pk, int) or not 0 < pk <= MAX_ID:  # a 22-digit id is "not found", not a database error
        raise Http404
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def get_or_field_error(queryset, pk, field: str, message: str):
    if pk is None:
        return None
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise drf_serializers.ValidationError({field: [message]}, code="does_not_exist")
    return obj


class Pages(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-id"


class TicketPages(Pages):
    # Newest first, on the ticket indexes' "-created_at" (status, kind, customer, assignee lists).
    ordering = ("-created_at", "-id")


class ApiView(APIView):
    """Logs every call (one INSERT), refuses oversize bodies (413) before they are parsed."""

    required_scopes: dict[str, str] = {}

    def dispatch(self, request, *args, **kwargs):
        started = time.monotonic()
        response = super().dispatch(request, *args, **kwargs)
        call_log_write(
            token_id=getattr(self.request, "_api_token_id", None), method=request.method,
            path=request.path, status_code=response.status_code, at=timezone.now(),
            duration_ms=int((time.monotonic() - started) * 1000), client_ip=client_ip(request),
        )
        return response

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication, scope, rate limit
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.API_MAX_BODY_BYTES:
            raise PayloadTooLarge(settings.API_MAX_BODY_BYTES)

    def valid(self, serializer_class, data):
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def page(self, queryset, serializer_class, paginator_class=Pages, **extra):
        paginator = paginator_class()
        rows = paginator.paginate_queryset(queryset, self.request, view=self)
        return Response({"next": paginator.get_next_link(), "previous": paginator.get_previous_link(), **extra,
                         "results": serializer_class(rows, many=True).data})


# --- customers ---------------------------------------------------------------------------------

class CustomerListView(ApiView):
    required_scopes = {"GET": Scope.CUSTOMERS_READ, "POST": Scope.CUSTOMERS_WRITE}

    @extend_schema(operation_id="customers_list", parameters=[s.CustomerQuerySerializer],
                   responses={200: s.CustomerPageSerializer, **READ_ERRORS},
                   description="All customers (newest first, cursor pages), or with `phone` the lookup the front "
                               "desk uses: any format, a whole number or its first/last 4+ digits.")
    def get(self, request):
        query = self.valid(s.CustomerQuerySerializer, request.query_params)
        phone = (query.get("phone") or "").strip()
        if "phone" in request.query_params:  # present but empty (a withheld number) is an error, not "everyone"
            if not phone or not PHONE_LIKE_RE.match(phone):
                raise drf_serializers.ValidationError({"phone": [_("Enter a phone number (digits).")]}, code="invalid")
            found = customers_search(query=phone)
            if found.too_short:
                raise drf_serializers.ValidationError({"phone": [_("Enter at least 4 digits.")]}, code="too_short")
            return Response({"next": None, "previous": None, "more": found.more,
                             "results": s.CustomerSerializer(found.customers, many=True).data})
        response = self.page(customers_for_listing(), s.CustomerSerializer)
        response.data["more"] = response.data["next"] is not None
        return response

    @extend_schema(operation_id="customers_create", request=s.CustomerCreateSerializer,
                   responses={201: s.CustomerSerializer, **ERRORS},
                   description="Create a customer through the desk's rules (a phone already on file is a 409 "
                               "`duplicate_phone` naming the customer who has it).")
    def post(self, request):
        data = self.valid(s.CustomerCreateSerializer, request.data)
        phones = [customer_services.PhoneInput(raw=p["number"], label=p["label"]) for p in data.pop("phones")]
        try:
            customer = customer_services.customer_create(phones=phones, created_by=request.user, **data)
        except ValidationError as exc:
            # normalise_phone's own errors ("not a valid phone number") belong to the phones field.
            if isinstance(exc, customer_services.DuplicatePhone) or hasattr(exc, "error_dict") or \
                    exc.error_list[0].code not in PHONE_ERROR_CODES:
                raise
            raise ValidationError({"phones": exc.error_list}) from exc
        customer = customers_for_listing().get(pk=customer.pk)
        return Response(s.CustomerSerializer(customer).data, status=status.HTTP_201_CREATED)


class CustomerDetailView(ApiView):
    required_scopes = {"GET": Scope.CUSTOMERS_READ}

    @extend_schema(operation_id="customers_retrieve", responses={200: s.CustomerSerializer, **_errors(401, 403, 404, 429)})
    def get(self, request, pk):
        customer = get_or_404(customers_for_listing(), pk)
        return Response(s.CustomerSerializer(customer).data)


# --- contacts ----------------------------------------------------------------------------------

class ContactCreateView(ApiView):
    required_scopes = {"POST": Scope.CONTACTS_WRITE}

    @extend_schema(operation_id="contacts_create", request=s.ContactCreateSerializer,
                   responses={201: s.ContactSerializer, **ERRORS},
                   description="Log a contact (a call or visit), with a customer or the caller's name or phone.")
    def post(self, request):
        data = self.valid(s.ContactCreateSerializer, request.data)
        customer = get_or_field_error(Customer.objects.all(), data.pop("customer", None), "customer",
                                      _("No customer with this id."))
        ticket = get_or_field_error(Ticket.objects.all(), data.pop("ticket", None), "ticket",
                                    _("No ticket with this id."))
        contact = customer_services.contact_log(handled_by=request.user, customer=customer, ticket=ticket, **data)
        return Response(s.ContactSerializer(contact).data, status=status.HTTP_201_CREATED)


# --- tickets -----------------------------------------------------------------------------------

def _ticket_queryset():
    return Ticket.objects.select_related("customer", "assignee")


def _ticket_with_replies():
    replies = TicketReply.objects.filter(public=True).select_related("author").order_by("created_at", "id")
    return _ticket_queryset().prefetch_related(Prefetch("replies", queryset=replies, to_attr="public_replies"))


class TicketListView(ApiView):
    required_scopes = {"GET": Scope.TICKETS_READ, "POST": Scope.TICKETS_WRITE}

    @extend_schema(operation_id="tickets_list", parameters=[s.TicketQuerySerializer,
                   OpenApiParameter("cursor", str), OpenApiParameter("page_size", int)],
                   responses={200: s.TicketPageSerializer, **READ_ERRORS},
                   description="Tickets newest first in cursor pages (`next`), filtered by status, kind, customer, "
                               "assignee (user id) and updated_since (ISO 8601).")
    def get(self, request):
        query = self.valid(s.TicketQuerySerializer, request.query_params)
        tickets = _ticket_queryset()
        for name in ("status", "kind"):
            if name in query:
                tickets = tickets.filter(**{name: query[name]})
        if "customer" in query:
            tickets = tickets.filter(customer_id=query["customer"])
        if "assignee" in query:
            tickets = tickets.filter(assignee_id=query["assignee"])
        if "updated_since" in query:
            tickets = tickets.filter(updated_at__gte=query["updated_since"])
        return self.page(tickets, s.TicketSerializer, TicketPages)

    @extend_schema(operation_id="tickets_create", request=s.TicketCreateSerializer,
                   responses={201: s.TicketDetailSerializer, **ERRORS},
                   description="Open a ticket (numbered, SLA clocks started) exactly as the desk does.")
    def post(self, request):
        data = self.valid(s.TicketCreateSerializer, request.data)
        customer = get_or_field_error(Customer.objects.all(), data.pop("customer"), "customer",
                                      _("No customer with this id."))
        ticket = ticket_services.ticket_create(customer=customer, created_by=request.user, **data)
        ticket = _ticket_with_replies().get(pk=ticket.pk)
        return Response(s.TicketDetailSerializer(ticket).data, status=status.HTTP_201_CREATED)


class TicketDetailView(ApiView):
    required_scopes = {"GET": Scope.TICKETS_READ}

    @extend_schema(operation_id="tickets_retrieve", responses={200: s.TicketDetailSerializer, **_errors(401, 403, 404, 429)},
                   description="One ticket with its public replies (internal notes are not shown).")
    def get(self, request, pk):
        return Response(s.TicketDetailSerializer(get_or_404(_ticket_with_replies(), pk)).data)


class TicketReplyView(ApiView):
    required_scopes = {"POST": Scope.TICKETS_WRITE}

    @extend_schema(operation_id="tickets_reply", request=s.ReplyCreateSerializer,
                   responses={201: s.ReplySerializer, **ERRORS},
                   description="A public reply to the customer (sent by their preferred channel through the outbox). "
                               "`expected_version` makes a reply to a ticket changed meanwhile a 409 `stale`.")
    def post(self, request, pk):
        ticket = get_or_404(Ticket.objects.all(), pk)
        data = self.valid(s.ReplyCreateSerializer, request.data)
        reply = ticket_services.ticket_reply(ticket=ticket, author=request.user, public=True, **data)
        return Response(s.ReplySerializer(reply).data, status=status.HTTP_201_CREATED)


class TicketStatusView(ApiView):
    required_scopes = {"POST": Scope.TICKETS_WRITE}

    @extend_schema(operation_id="tickets_status", request=s.StatusChangeSerializer,
                   responses={200: s.TicketSerializer, **ERRORS},
                   description="Move the ticket along the same state machine as the desk (same checks, timeline "
                               "events and SLA effects). `resolved` takes `fault_cause` (code) and `solution`; "
                               "`cancelled` needs a `reason`. An illegal move is a 400 `illegal_transition`.")
    def post(self, request, pk):
        ticket = get_or_404(Ticket.objects.all(), pk)
        data = self.valid(s.StatusChangeSerializer, request.data)
        if data["status"] == Ticket.Status.RESOLVED:
            cause = None
            if data["fault_cause"]:
                cause = FaultCause.objects.filter(code=data["fault_cause"]).first()
                if cause is None:
                    raise drf_serializers.ValidationError({"fault_cause": [_("No fault cause with this code.")]},
                                                          code="does_not_exist")
            ticket_services.ticket_resolve(ticket=ticket, actor=request.user, fault_cause=cause,
                                           solution=data["solution"], expected_version=data["expected_version"])
        else:
            ticket_services.ticket_transition(ticket=ticket, to_status=data["status"], actor=request.user,
                                              reason=data["reason"], expected_version=data["expected_version"])
        return Response(s.TicketSerializer(_ticket_queryset().get(pk=ticket.pk)).data)


# --- work orders -------------------------------------------------------------------------------

def _workorder_queryset():
    return WorkOrder.objects.select_related("ticket", "technician__user")


class WorkOrderListView(ApiView):
    required_scopes = {"GET": Scope.WORKORDERS_READ}

    @extend_schema(operation_id="workorders_list", parameters=[s.WorkOrderQuerySerializer,
                   OpenApiParameter("cursor", str), OpenApiParameter("page_size", int)],
                   responses={200: s.WorkOrderPageSerializer, **READ_ERRORS},
                   description="A ticket's work orders (field visits), newest first.")
    def get(self, request):
        query = self.valid(s.WorkOrderQuerySerializer, request.query_params)
        return self.page(_workorder_queryset().filter(ticket_id=query["ticket"]), s.WorkOrderSerializer)


class WorkOrderDetailView(ApiView):
    required_scopes = {"GET": Scope.WORKORDERS_READ}

    @extend_schema(operation_id="workorders_retrieve", responses={200: s.WorkOrderSerializer, **_errors(401, 403, 404, 429)})
    def get(self, request, pk):
        return Response(s.WorkOrderSerializer(get_or_404(_workorder_queryset(), pk)).data)


# --- calls (the phone system's screen-pop events) ----------------------------------------------

class CallRingingView(ApiView):
    required_scopes = {"POST": Scope.CALLS_WRITE}

    @extend_schema(operation_id="calls_ringing", request=s.CallRingingSerializer,
                   responses={200: s.CallSerializer, **ERRORS},
                   description="The phone system: a call from `from` rings at `extension`. The staff member at that "
                               "extension sees the caller's card. Sending the same `call_id` again is harmless.")
    def post(self, request):
        from telephony import services as telephony

        data = self.valid(s.CallRingingSerializer, request.data)
        call = telephony.call_ringing(call_id=data["call_id"], caller=data["from"], extension=data["extension"],
                                      at=data.get("at"))
        return Response(s.CallSerializer(call).data)


class CallEndedView(ApiView):
    required_scopes = {"POST": Scope.CALLS_WRITE}

    @extend_schema(operation_id="calls_ended", request=s.CallEndedSerializer,
                   responses={200: s.CallSerializer, **ERRORS},
                   description="The phone system: the call ended (duration, optional recording URL).")
    def post(self, request):
        from telephony import services as telephony

        data = self.valid(s.CallEndedSerializer, request.data)
        call = telephony.call_ended(call_id=data["call_id"], at=data.get("at"),
                                    duration_seconds=data.get("duration_seconds"),
                                    recording_url=data.get("recording_url") or "")
        return Response(s.CallSerializer(call).data)
