"""Writes for customers, assets and contacts (domain.md §2). Views, admin, tasks and commands call these."""
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Asset, Channel, Contact, Customer, CustomerEvent, CustomerPhone
from .phones import normalise_phone


@dataclass(frozen=True)
class PhoneInput:
    raw: str
    label: str = CustomerPhone.Label.MOBILE


class DuplicatePhone(ValidationError):
    """A phone already belongs to a customer; carries that customer so the UI can link to them."""

    def __init__(self, *, number: str, existing: Customer):
        self.existing = existing
        super().__init__(
            _("The phone number %(number)s already belongs to customer %(name)s."),
            code="duplicate_phone",
            params={"number": number, "name": existing.name},
        )


def _existing_owner_of(number: str) -> Customer | None:
    phone = CustomerPhone.objects.select_related("customer").filter(number=number).first()
    return phone.customer if phone else None


def customer_create(
    *,
    name: str,
    phones: list[PhoneInput],
    created_by,
    channel: str = Channel.PHONE,
    kind: str = Customer.Kind.PERSON,
    email: str = "",
    address: str = "",
    region=None,
    tier: str = Customer.Tier.BASIC,
    is_key_account: bool = False,
    notes: str = "",
    preferred_language: str = "zh-hans",
    now: datetime | None = None,
) -> Customer:
    """Create a customer, refusing a phone already on file (find before create, domain.md §2).

    First-contact attribution: the creator, the time and the channel are recorded and the creator
    becomes the owner. The phone's UNIQUE constraint is what decides a race between two desks
    entering the same caller at once: exactly one insert wins, the other gets DuplicatePhone.
    """
    now = now or timezone.now()
    normalised = []
    seen = set()
    for phone in phones:
        if not phone.raw.strip():
            continue
        n = normalise_phone(phone.raw)
        if n.e164 in seen:
            continue
        seen.add(n.e164)
        normalised.append((n, phone.label))
    if not normalised:
        raise ValidationError(_("Enter at least one phone number."), code="phone_required")
    for n, _label in normalised:
        existing = _existing_owner_of(n.e164)
        if existing is not None:
            raise DuplicatePhone(number=n.e164, existing=existing)

    customer = Customer(
        kind=kind,
        name=name.strip(),
        email=email.strip(),
        address=address.strip(),
        region=region,
        tier=tier,
        is_key_account=is_key_account,
        notes=notes,
        preferred_language=preferred_language,
        first_contact_by=created_by,
        first_contact_at=now,
        first_contact_channel=channel,
        owner=created_by,
    )
    customer.full_clean()
    try:
        with transaction.atomic():
            customer.save()
            for index, (n, label) in enumerate(normalised):
                CustomerPhone.objects.create(
                    customer=customer, number=n.e164, national=n.national, label=label, is_primary=index == 0
                )
            CustomerEvent.objects.create(
                customer=customer,
                actor=created_by,
                kind=CustomerEvent.Kind.CREATED,
                data={"channel": channel, "phones": [n.e164 for n, _label in normalised]},
            )
    except IntegrityError:
        # Lost the race for a phone number to a concurrent insert: report who has it now.
        for n, _label in normalised:
            existing = _existing_owner_of(n.e164)
            if existing is not None:
                raise DuplicatePhone(number=n.e164, existing=existing)
        raise
    return customer


def asset_create(*, customer: Customer, created_by, **fields) -> Asset:
    asset = Asset(customer=customer, **fields)
    asset.full_clean()
    with transaction.atomic():
        asset.save()
        CustomerEvent.objects.create(
            customer=customer,
            actor=created_by,
            kind=CustomerEvent.Kind.ASSET_ADDED,
            data={"asset": asset.pk, "product": asset.product, "model": asset.model, "serial": asset.serial_number},
        )
    return asset


def contact_log(
    *,
    handled_by,
    channel: str,
    direction: str = Contact.Direction.INBOUND,
    purpose: str = Contact.Purpose.INQUIRY,
    customer: Customer | None = None,
    caller_name: str = "",
    caller_phone: str = "",
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    notes: str = "",
    ticket=None,
) -> Contact:
    """Record a walk-in or call, with or without a ticket (every contact counts in the tallies)."""
    contact = Contact(
        customer=customer,
        caller_name=caller_name.strip(),
        caller_phone=caller_phone.strip(),
        channel=channel,
        direction=direction,
        purpose=purpose,
        handled_by=handled_by,
        started_at=started_at or timezone.now(),
        ended_at=ended_at,
        notes=notes,
        ticket=ticket,
    )
    if customer is None and not (contact.caller_name or contact.caller_phone):
        raise ValidationError(_("Choose a customer, or note the caller's name or phone."), code="anonymous")
    contact.full_clean()
    contact.save()
    return contact
