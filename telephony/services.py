"""What the phone system tells us, and what the person at the desk does with the caller's card.

The exchange calls the API (`/api/v1/calls/ringing/`, `/api/v1/calls/ended/`); both land here. Both are
idempotent on the exchange's ``call_id``: exchanges retry when an answer is slow, and a retry must
neither pop a second card nor move the times already recorded (the first report wins).
"""
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Channel, Contact, Customer, CustomerPhone
from customers.phones import normalise_phone
from customers.services import contact_log
from servicedesk.models import StaffProfile

from .models import Call

_EXTENSION_CHARS = set("0123456789*#")
# What a person needs to see the caller's card and log the call (the views ask the same).
CARD_PERMS = ("customers.view_contact", "customers.add_contact")


def _refused(field: str, message: str, code: str) -> ValidationError:
    """A refusal of one field that keeps its code (the API answers with it, e.g. ``unknown_call``)."""
    return ValidationError({field: ValidationError(message, code=code)})


def _clean_call_id(call_id: str) -> str:
    value = (call_id or "").strip()
    if not value:
        raise _refused("call_id", _("The phone system did not say which call this is."), "required")
    if len(value) > 64:
        raise _refused("call_id", _("A call id has at most 64 characters."), "too_long")
    return value


def _clean_extension(extension: str) -> str:
    value = (extension or "").strip()
    if not value or len(value) > 20 or not set(value) <= _EXTENSION_CHARS:
        raise _refused("extension", _("An extension is 1 to 20 digits, e.g. 8001."), "invalid")
    return value


def caller_customer(e164: str) -> Customer | None:
    """The live customer whose phone this is (a merged duplicate's number leads to the survivor)."""
    if not e164:
        return None
    phone = CustomerPhone.objects.select_related("customer").filter(number=e164).first()
    if phone is None:
        return None
    customer = phone.customer
    if customer.merged_into_id is not None:
        customer = Customer.objects.filter(pk=customer.merged_into_id).first() or customer
    return customer


def call_ringing(*, call_id: str, caller: str, extension: str, at: datetime | None = None) -> Call:
    """"Call ringing from +86…, at extension 8001": record it and pop the card for whoever sits at 8001.

    A withheld or unparsable caller number is kept as sent and pops "unknown number". An extension
    nobody holds is recorded too (the log shows calls nobody was shown). A repeat of the same
    ``call_id`` returns the call already recorded.
    """
    call_id = _clean_call_id(call_id)
    extension = _clean_extension(extension)
    raw = (caller or "").strip()
    if len(raw) > 40:
        raise _refused("from", _("That phone number is too long."), "too_long")
    at = at or timezone.now()
    if timezone.is_naive(at):
        raise _refused("at", _("Give the time with its time zone."), "naive")
    existing = Call.objects.filter(call_id=call_id).first()
    if existing is not None:
        return existing
    try:
        e164 = normalise_phone(raw).e164 if raw else ""
    except ValidationError:
        e164 = ""  # "anonymous", an internal short number, a foreign format we cannot read: keep it as sent
    holder = (StaffProfile.objects.filter(extension=extension, user__is_active=True).select_related("user")
              .first())
    # The card is for someone who can log the call: an extension left on a technician's profile pops nothing.
    user_id = holder.user_id if holder and holder.user.has_perms(CARD_PERMS) else None
    try:
        with transaction.atomic():
            call = Call.objects.create(call_id=call_id, extension=extension, caller_raw=raw, caller_e164=e164,
                                       customer=caller_customer(e164), user_id=user_id, rang_at=at)
    except IntegrityError:
        # The same call reported twice at once: the other report made the row.
        return Call.objects.get(call_id=call_id)
    return call


def call_ended(*, call_id: str, at: datetime | None = None, duration_seconds: int | None = None,
               recording_url: str = "") -> Call:
    """"Call ended": the end time and talk time from the exchange, and where its recording is.

    A call already logged as a contact gets the end time on that contact too, when the person logged
    it while still talking. A repeat keeps the first end time; a recording URL sent later is added.
    """
    call_id = _clean_call_id(call_id)
    if duration_seconds is not None and not (0 <= int(duration_seconds) <= 86400):
        raise _refused("duration_seconds", _("A call lasts between 0 seconds and one day."), "invalid")
    recording_url = (recording_url or "").strip()
    if recording_url:
        try:
            URLValidator(schemes=["http", "https"])(recording_url)
        except ValidationError:
            raise _refused("recording_url", _("Give the recording as an http(s) address."), "invalid")
        if len(recording_url) > 500:
            raise _refused("recording_url", _("That address is too long."), "too_long")
    at = at or timezone.now()
    if timezone.is_naive(at):
        raise _refused("at", _("Give the time with its time zone."), "naive")
    with transaction.atomic():
        call = Call.objects.select_for_update().filter(call_id=call_id).first()
        if call is None:
            raise _refused("call_id", _("No ringing was reported for this call."), "unknown_call")
        fields = []
        if call.ended_at is None:
            if at < call.rang_at:
                raise _refused("at", _("A call cannot end before it rang."), "before_ring")
            call.ended_at = at
            call.duration_seconds = int(duration_seconds) if duration_seconds is not None else int(
                (at - call.rang_at).total_seconds())
            fields += ["ended_at", "duration_seconds"]
            if call.contact_id:
                Contact.objects.filter(pk=call.contact_id, ended_at__isnull=True).update(ended_at=at)
        if recording_url and not call.recording_url:
            call.recording_url = recording_url
            fields.append("recording_url")
        if fields:
            call.save(update_fields=fields)
    return call


def call_dismiss(*, call: Call, user) -> bool:
    """Close the card without logging (a wrong number, a colleague's call). Only the person it popped for."""
    return bool(Call.objects.filter(pk=call.pk, user=user, dismissed_at__isnull=True, contact__isnull=True)
                .update(dismissed_at=timezone.now()))


def call_log(*, call: Call, handled_by, purpose: str, notes: str = "", customer: Customer | None = None,
             caller_name: str = "") -> Contact:
    """Log the call as a contact with the exchange's times; once (a second click shows the first)."""
    with transaction.atomic():
        locked = Call.objects.select_for_update().get(pk=call.pk)
        if locked.contact_id:
            raise ValidationError(_("This call is already logged."), code="already_logged")
        contact = contact_log(
            handled_by=handled_by, channel=Channel.PHONE, direction=Contact.Direction.INBOUND, purpose=purpose,
            customer=customer or locked.customer, caller_name=caller_name,
            caller_phone=locked.caller_e164 or locked.caller_raw, started_at=locked.rang_at,
            ended_at=locked.ended_at, notes=notes,
        )
        locked.contact = contact
        locked.save(update_fields=["contact"])
    call.contact = contact
    return contact
