"""What the API reads and writes. Input serializers only check shapes; the services hold the rules."""
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.models import Channel, Contact, Customer, CustomerPhone
from customers.phones import phone_display
from dispatch.models import WorkOrder
from tickets.models import Ticket, TicketReply

# Text fields are bounded here so a 10 MB string is a 400 with a field message, not work for the model.
NAME_MAX = 200


def _person(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.get_full_name() or user.get_username()}


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    existing_customer = serializers.IntegerField(required=False, help_text="409 duplicate_phone: who has the number")


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


# --- customers ---------------------------------------------------------------------------------

class PhoneSerializer(serializers.ModelSerializer):
    display = serializers.SerializerMethodField()

    class Meta:
        model = CustomerPhone
        fields = ["number", "national", "display", "label", "is_primary"]

    def get_display(self, phone) -> str:
        return phone_display(phone.number)


class CustomerSerializer(serializers.ModelSerializer):
    phones = PhoneSerializer(many=True, read_only=True)
    region = serializers.SerializerMethodField()
    open_tickets = serializers.SerializerMethodField()
    tier_name = serializers.SerializerMethodField(help_text="The tier's name in the caller's language (Accept-Language)")

    class Meta:
        model = Customer
        fields = ["id", "name", "kind", "tier", "tier_name", "is_key_account", "email", "address", "region", "phones",
                  "open_tickets", "is_verified", "preferred_language", "created_at", "updated_at"]

    def get_region(self, customer) -> str | None:
        return customer.region.code if customer.region_id else None

    def get_tier_name(self, customer) -> str:
        return customer.get_tier_display()

    def get_open_tickets(self, customer) -> int:
        return getattr(customer, "open_tickets", 0)


class CustomerPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    more = serializers.BooleanField(help_text="More rows than shown: follow `next` (a phone lookup shows the first 20)")
    results = CustomerSerializer(many=True)


class PhoneInputSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=40)
    label = serializers.ChoiceField(choices=CustomerPhone.Label.choices, default=CustomerPhone.Label.MOBILE)


class CustomerCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=NAME_MAX)
    phones = PhoneInputSerializer(many=True, min_length=1, max_length=10)
    kind = serializers.ChoiceField(choices=Customer.Kind.choices, default=Customer.Kind.PERSON)
    tier = serializers.CharField(
        max_length=10, required=False,
        help_text="The code of an active customer tier meant for this kind of customer (`tier` of the tiers a "
                  "manager keeps, e.g. `gold`; organisations also `1a`…`5b`). Omitted: the department's default tier.")
    is_key_account = serializers.BooleanField(default=False)
    email = serializers.EmailField(max_length=254, required=False, default="")
    address = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)
    notes = serializers.CharField(max_length=5000, required=False, default="", allow_blank=True)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.PHONE)


    def validate_tier(self, code):
        from django.core.exceptions import ValidationError as DjangoValidationError

        from customers.tiers import tier_check

        # Here, beside the other fields' errors: a tier that exists and is not retired. Whether it fits the
        # customer's kind is the service's check (customer_create), which the API answers as fields.tier too.
        try:
            tier_check(code=code, kind="any")
        except DjangoValidationError as e:
            error = e.error_dict["tier"][0]
            if error.code != "tier_kind":
                raise serializers.ValidationError(e.message_dict["tier"], code=error.code) from e
        return code


class CustomerQuerySerializer(serializers.Serializer):
    phone = serializers.CharField(required=False, max_length=40,
                                  help_text=_("Any format (138 1234 5678, +86…, 010-…, the last 4+ digits)"))


# --- contacts ----------------------------------------------------------------------------------

class ContactSerializer(serializers.ModelSerializer):
    handled_by = serializers.SerializerMethodField()

    class Meta:
        model = Contact
        fields = ["id", "customer", "caller_name", "caller_phone", "channel", "direction", "purpose", "started_at",
                  "ended_at", "notes", "ticket", "handled_by"]

    @extend_schema_field(PersonSerializer)
    def get_handled_by(self, contact):
        return _person(contact.handled_by)


class ContactCreateSerializer(serializers.Serializer):
    customer = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**62)
    ticket = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**62)
    caller_name = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    caller_phone = serializers.CharField(max_length=40, required=False, default="", allow_blank=True)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.PHONE)
    direction = serializers.ChoiceField(choices=Contact.Direction.choices, default=Contact.Direction.INBOUND)
    purpose = serializers.ChoiceField(choices=Contact.Purpose.choices, default=Contact.Purpose.INQUIRY)
    started_at = serializers.DateTimeField(required=False, allow_null=True)
    ended_at = serializers.DateTimeField(required=False, allow_null=True)
    notes = serializers.CharField(max_length=5000, required=False, default="", allow_blank=True)


# --- tickets -----------------------------------------------------------------------------------

class CustomerBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TicketSerializer(serializers.ModelSerializer):
    customer = serializers.SerializerMethodField()
    assignee = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = ["id", "number", "kind", "status", "priority", "channel", "subject", "customer", "assignee",
                  "created_at", "updated_at", "first_response_at", "resolved_at", "closed_at", "sla_due_at", "version"]

    @extend_schema_field(CustomerBriefSerializer)
    def get_customer(self, ticket):
        return {"id": ticket.customer_id, "name": ticket.customer.name}

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_assignee(self, ticket):
        return _person(ticket.assignee)


class ReplySerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = TicketReply
        fields = ["id", "body", "from_customer", "author", "created_at", "delivery_status"]

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_author(self, reply):
        return None if reply.from_customer else _person(reply.author)


class TicketDetailSerializer(TicketSerializer):
    replies = serializers.SerializerMethodField()

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "description", "cancel_reason", "solution", "replies"]

    @extend_schema_field(ReplySerializer(many=True))
    def get_replies(self, ticket):
        return ReplySerializer(ticket.public_replies, many=True).data


class TicketPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = TicketSerializer(many=True)


class TicketCreateSerializer(serializers.Serializer):
    customer = serializers.IntegerField(min_value=1, max_value=2**62)
    kind = serializers.ChoiceField(choices=Ticket.Kind.choices)
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=20000, required=False, default="", allow_blank=True)
    priority = serializers.ChoiceField(choices=Ticket.Priority.choices, default=Ticket.Priority.NORMAL)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.PHONE)


class TicketQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Ticket.Status.choices, required=False)
    kind = serializers.ChoiceField(choices=Ticket.Kind.choices, required=False)
    customer = serializers.IntegerField(required=False, min_value=1, max_value=2**62)
    assignee = serializers.IntegerField(required=False, min_value=1, max_value=2**62)
    updated_since = serializers.DateTimeField(required=False)


class ReplyCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=20000)
    client_token = serializers.CharField(max_length=64, required=False, default="", allow_blank=True,
                                         help_text=_("Send the same value again to retry safely (no second reply)"))
    expected_version = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1, max_value=2**31)


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Ticket.Status.choices)
    reason = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)
    fault_cause = serializers.SlugField(max_length=40, required=False, allow_null=True, default=None,
                                        help_text=_("When resolving: the fault cause's code"))
    solution = serializers.CharField(max_length=10000, required=False, default="", allow_blank=True)
    expected_version = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1, max_value=2**31)


# --- work orders -------------------------------------------------------------------------------

class WorkOrderSerializer(serializers.ModelSerializer):
    ticket_number = serializers.CharField(source="ticket.number")
    technician = serializers.SerializerMethodField()

    class Meta:
        model = WorkOrder
        fields = ["id", "number", "ticket", "ticket_number", "customer", "status", "address", "window_start",
                  "window_end", "technician", "in_warranty", "value_tier", "resolution_due_at", "accepted_at",
                  "arrived_at", "started_at", "signed_at", "closed_at", "work_done", "created_at"]

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_technician(self, order):
        return _person(order.technician.user) if order.technician_id else None


class WorkOrderPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = WorkOrderSerializer(many=True)


class WorkOrderQuerySerializer(serializers.Serializer):
    ticket = serializers.IntegerField(min_value=1, max_value=2**62)


# --- calls (the phone system) -------------------------------------------------------------------

class CallRingingSerializer(serializers.Serializer):
    call_id = serializers.CharField(max_length=100)
    extension = serializers.CharField(max_length=20)
    at = serializers.DateTimeField(required=False, allow_null=True)

    def get_fields(self):
        fields = super().get_fields()
        # The caller's number arrives as "from" (a Python keyword, so it cannot be a class attribute).
        fields["from"] = serializers.CharField(max_length=40, allow_blank=True)
        return fields


class CallEndedSerializer(serializers.Serializer):
    call_id = serializers.CharField(max_length=100)
    at = serializers.DateTimeField(required=False, allow_null=True)
    duration_seconds = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=86400)
    recording_url = serializers.URLField(max_length=500, required=False, default="", allow_blank=True)


class CallSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    call_id = serializers.CharField()
    extension = serializers.CharField()
    caller = serializers.CharField(source="caller_raw")
    caller_e164 = serializers.CharField()
    customer = serializers.IntegerField(source="customer_id", allow_null=True)
    user = serializers.IntegerField(source="user_id", allow_null=True)
    rang_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    duration_seconds = serializers.IntegerField(allow_null=True)
    recording_url = serializers.CharField()
