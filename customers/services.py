"""Writes for customers, assets and contacts (domain.md §2). Views, admin, tasks and commands call these."""
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Asset, Channel, Contact, Customer, CustomerEvent, CustomerPhone
from .phones import normalise_phone
from .tiers import tier_check, tier_default_code


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
    tier: str | None = None,
    is_key_account: bool = False,
    notes: str = "",
    preferred_language: str = "zh-hans",
    preferred_channel: str = "",
    phone_required: bool = True,
    care_date=None,
    care_greetings: bool = False,
    now: datetime | None = None,
) -> Customer:
    """Create a customer, refusing a phone already on file (find before create, domain.md §2).

    First-contact attribution: the creator, the time and the channel are recorded and the creator
    becomes the owner. The phone's UNIQUE constraint is what decides a race between two desks
    entering the same caller at once: exactly one insert wins, the other gets DuplicatePhone.
    """
    now = now or timezone.now()
    # Issue 17: the tier is a row of the tiers table, active and meant for this kind of customer;
    # none given → the manager's default tier (customers.tiers.tier_default_code).
    tier = tier or tier_default_code(kind)
    tier_check(code=tier, kind=kind)
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
    # E-mail intake (mailin) creates customers known only by their address: phone_required=False.
    if not normalised and phone_required:
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
        preferred_channel=preferred_channel,
        care_date=care_date,
        care_greetings=care_greetings,
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


# --- Editing ----------------------------------------------------------------------------------

CUSTOMER_EDITABLE = ("kind", "name", "email", "address", "region", "tier", "is_key_account", "notes", "preferred_language",
                     "preferred_channel", "care_date", "care_greetings")


def _display(value):
    """A JSON-safe before/after value for the audit trail."""
    if value is None or isinstance(value, (str, int, bool, float)):
        return value
    if hasattr(value, "pk"):
        return str(value)
    return str(value)


def customer_update(
    *, customer: Customer, updated_by, phones: list[PhoneInput] | None = None, now: datetime | None = None, **fields
) -> Customer:
    """Change a customer's details; every changed field is logged before → after (实名制, domain.md §1).

    `phones` (when given) is the full new list: numbers not on it are removed, new ones must not
    belong to another customer (the UNIQUE constraint decides a race, as on creation).
    """
    unknown = set(fields) - set(CUSTOMER_EDITABLE)
    if unknown:
        raise TypeError(f"customer_update: unexpected fields {sorted(unknown)}")
    if "name" in fields:
        fields["name"] = fields["name"].strip()
    changes = {}
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if "tier" in fields or "kind" in fields:
            # A new tier must be active and meant for the customer's kind; the one they have stays theirs
            # even if retired since (issue 17).
            tier_check(code=fields.get("tier", customer.tier), kind=fields.get("kind", customer.kind),
                       current=customer.tier, current_kind=customer.kind)
        for name, value in fields.items():
            before = getattr(customer, name)
            if before != value:
                changes[name] = [_display(before), _display(value)]
                setattr(customer, name, value)
        customer.full_clean()

        phone_changes = None
        if phones is not None:
            wanted = []
            seen = set()
            for phone in phones:
                if not phone.raw.strip():
                    continue
                n = normalise_phone(phone.raw)
                if n.e164 not in seen:
                    seen.add(n.e164)
                    wanted.append((n, phone.label))
            if not wanted:
                raise ValidationError(_("Enter at least one phone number."), code="phone_required")
            current = {p.number: p for p in customer.phones.all()}
            for n, _label in wanted:
                if n.e164 not in current:
                    existing = _existing_owner_of(n.e164)
                    if existing is not None and existing.pk != customer.pk:
                        raise DuplicatePhone(number=n.e164, existing=existing)
            before_numbers = sorted(current)
            CustomerPhone.objects.filter(customer=customer).exclude(number__in=seen).delete()
            try:
                with transaction.atomic():
                    for index, (n, label) in enumerate(wanted):
                        CustomerPhone.objects.update_or_create(
                            number=n.e164,
                            customer=customer,
                            defaults={"national": n.national, "label": label, "is_primary": index == 0},
                        )
            except IntegrityError:
                for n, _label in wanted:
                    existing = _existing_owner_of(n.e164)
                    if existing is not None and existing.pk != customer.pk:
                        raise DuplicatePhone(number=n.e164, existing=existing)
                raise
            after_numbers = sorted(seen)
            if before_numbers != after_numbers:
                phone_changes = [before_numbers, after_numbers]
                changes["phones"] = phone_changes

        if changes:
            customer.save()
            CustomerEvent.objects.create(
                customer=customer, actor=updated_by, kind=CustomerEvent.Kind.UPDATED, data={"changes": changes}
            )
            if "is_key_account" in changes:
                _key_account_changed(customer)
    return customer


def _key_account_changed(customer: Customer) -> None:
    """The tickets keep a copy of the key-account flag (issue 17: the queue sorts by it without a join):
    updated in bulk, in this transaction. Imported lazily: tickets depends on customers, not the reverse."""
    from tickets.services import tickets_sync_key_account

    tickets_sync_key_account(customer_id=customer.pk, is_key_account=customer.is_key_account)


def customer_change_owner(*, customer: Customer, owner, changed_by, reason: str = "", now: datetime | None = None) -> Customer:
    """Give the customer to another staff member. Only supervisors hold customers.change_ownership
    (domain.md §2 第一接触原则: ownership changes only by a supervisor, and is logged)."""
    if not changed_by.has_perm("customers.change_ownership"):
        raise ValidationError(_("Only a supervisor can change a customer's owner."), code="forbidden")
    return _customer_set_person(customer=customer, field="owner", person=owner, changed_by=changed_by,
                                kind=CustomerEvent.Kind.OWNER_CHANGED, reason=reason)


def _customer_set_person(*, customer: Customer, field: str, person, changed_by, kind: str, reason: str) -> Customer:
    """Set the customer's owner or account manager under a row lock and log the change (before → after, the
    reason) as a customer event; nothing when it is already that person."""
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if getattr(customer, f"{field}_id") == (person.pk if person else None):
            return customer
        before = str(getattr(customer, field)) if getattr(customer, f"{field}_id") else None
        setattr(customer, field, person)
        customer.save(update_fields=[field, "updated_at"])
        CustomerEvent.objects.create(
            customer=customer, actor=changed_by, kind=kind,
            data={"changes": {field: [before, str(person) if person else None]},
                  "reason": (reason or "").strip()[:500]},
        )
    return customer


def account_manager_candidates():
    """Who may be a key account's manager: active staff whose role can do the job (front desk, agents,
    supervisors, managers) — not technicians, not system accounts (inactive). One query."""
    from django.contrib.auth import get_user_model

    from servicedesk import roles

    wanted = [r for r in roles.ROLE_ORDER if r != roles.TECHNICIAN]
    return (get_user_model().objects.filter(is_active=True, groups__name__in=wanted).distinct()
            .order_by("first_name", "username"))


def customer_set_account_manager(*, customer: Customer, account_manager, changed_by, reason: str = "") -> Customer:
    """Name the key account's manager (客户经理). Only holders of customers.change_ownership (supervisors,
    managers), logged like an owner change (issue 17)."""
    if not changed_by.has_perm("customers.change_ownership"):
        raise ValidationError(_("Only a supervisor can change a customer's account manager."), code="forbidden")
    if account_manager is not None and not account_manager_candidates().filter(pk=account_manager.pk).exists():
        raise ValidationError(_("That person cannot be an account manager."), code="account_manager_invalid")
    with transaction.atomic():
        customer = _customer_set_person(customer=customer, field="account_manager", person=account_manager,
                                        changed_by=changed_by, kind=CustomerEvent.Kind.ACCOUNT_MANAGER_CHANGED,
                                        reason=reason)
        from contracts.services import renewal_tasks_follow_account_manager

        renewal_tasks_follow_account_manager(customer=customer)
    return customer


def service_plan_can_edit(*, user, customer: Customer) -> bool:
    """A key account's service plan: its account manager, supervisors and managers (issue 17)."""
    from servicedesk import roles

    if not user.is_active:
        return False
    if user.is_superuser or (customer.account_manager_id and customer.account_manager_id == user.pk):
        return True
    return user.groups.filter(name__in=[roles.SUPERVISOR, roles.MANAGER]).exists()


def service_plan_save(*, customer: Customer, actor, summary: str, items: list[dict]) -> "ServicePlan":
    """Replace the customer's service plan (free text + structured items), logged on the customer."""
    from .models import ServicePlan, ServicePlanItem

    if not service_plan_can_edit(user=actor, customer=customer):
        raise ValidationError(_("Only the account manager, supervisors and managers edit the service plan."),
                              code="forbidden")
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        plan, _created = ServicePlan.objects.get_or_create(customer=customer)
        plan.summary = (summary or "").strip()
        plan.updated_by = actor
        plan.full_clean(exclude=["customer", "updated_by"])
        plan.save()
        rows = []
        for index, item in enumerate(items):
            row = ServicePlanItem(plan=plan, kind=item["kind"], title=item["title"].strip(),
                                  details=(item.get("details") or "").strip(), sort_order=index)
            row.full_clean(exclude=["plan"])
            rows.append(row)
        plan.items.all().delete()
        ServicePlanItem.objects.bulk_create(rows)
        CustomerEvent.objects.create(customer=customer, actor=actor, kind=CustomerEvent.Kind.SERVICE_PLAN_CHANGED,
                                     data={"items": len(rows)})
    return plan


def customer_verify(*, customer: Customer, actor, now: datetime | None = None) -> Customer:
    """The front desk confirms a customer who registered through the online request form (issue 15).

    The record becomes verified; a record nobody owned yet (the web form records no staff member)
    gets its first staff owner and first-contact person: the one who confirmed it (domain.md §2,
    第一接触原则 — the first staff member to record the customer's details owns them). A duplicate
    of a customer already on file is merged instead (customer_merge). Logged like customer_update.
    """
    if not actor.has_perm("customers.change_customer"):
        raise ValidationError(_("You may not change customers."), code="forbidden")
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if customer.merged_into_id:
            raise ValidationError(_("This customer was merged into another one."), code="customer_merged")
        if customer.is_verified:
            return customer
        changes = {"is_verified": [False, True]}
        customer.is_verified = True
        fields = ["is_verified", "updated_at"]
        if customer.owner_id is None:
            changes["owner"] = [None, str(actor)]
            customer.owner = actor
            fields.append("owner")
        if customer.first_contact_by_id is None:
            changes["first_contact_by"] = [None, str(actor)]
            customer.first_contact_by = actor
            fields.append("first_contact_by")
        customer.save(update_fields=fields)
        CustomerEvent.objects.create(customer=customer, actor=actor, kind=CustomerEvent.Kind.UPDATED,
                                     data={"changes": changes, "reason": "verified"})
    return customer


ASSET_EDITABLE = ("product", "model", "serial_number", "install_date", "warranty_end", "location", "notes")


def asset_update(*, asset: Asset, updated_by, **fields) -> Asset:
    """Change an asset's details, logged on the customer's trail before → after."""
    unknown = set(fields) - set(ASSET_EDITABLE)
    if unknown:
        raise TypeError(f"asset_update: unexpected fields {sorted(unknown)}")
    changes = {}
    with transaction.atomic():
        asset = Asset.objects.select_for_update().get(pk=asset.pk)
        for name, value in fields.items():
            before = getattr(asset, name)
            if before != value:
                changes[name] = [_display(before), _display(value)]
                setattr(asset, name, value)
        asset.full_clean()
        if changes:
            asset.save()
            CustomerEvent.objects.create(
                customer_id=asset.customer_id,
                actor=updated_by,
                kind=CustomerEvent.Kind.ASSET_UPDATED,
                data={"asset": asset.pk, "product": asset.product, "changes": changes},
            )
    return asset


# --- Merging duplicates -----------------------------------------------------------------------

# Filled on the survivor from the duplicate when the survivor has none (nothing is lost).
MERGE_FILL_FIELDS = ("email", "address", "region", "notes", "first_contact_by", "first_contact_at", "first_contact_channel", "owner",
                     "account_manager", "care_date")


def _reverse_foreign_keys():
    """Every FK and M2M to Customer that exists now — including apps added later and hidden
    (related_name="+") ones — except the tombstone link itself. Yields (model, field)."""
    from django.apps import apps

    for model in apps.get_models(include_auto_created=True):
        for f in model._meta.get_fields(include_hidden=True):
            if not f.concrete or not f.is_relation or f.remote_field is None or f.remote_field.model is not Customer:
                continue
            if model is Customer and f.name == "merged_into":
                continue
            if f.many_to_one or f.one_to_one:
                yield model, f


def customer_merge_preview(*, survivor: Customer, duplicate: Customer) -> dict:
    """How many rows of each kind would move from the duplicate to the survivor."""
    counts = {}
    for model, f in _reverse_foreign_keys():
        n = model._base_manager.filter(**{f.name: duplicate}).count()
        if n:
            key = str(model._meta.verbose_name_plural)
            counts[key] = counts.get(key, 0) + n
    return counts


def customer_merge(*, survivor: Customer, duplicate: Customer, merged_by, now: datetime | None = None) -> dict:
    """Merge a duplicate into the survivor: everything moves, nothing is lost, it is logged (domain.md §2).

    Both rows are locked in primary-key order (so two merges of the same pair cannot deadlock),
    every row that points at the duplicate — phones, assets, contacts, tickets, events and any FK
    a later app adds — is re-pointed to the survivor, empty survivor fields are filled from the
    duplicate, and the duplicate stays as a tombstone (merged_into) so old links still work.
    """
    if survivor.pk == duplicate.pk:
        raise ValidationError(_("Choose two different customers."), code="same")
    with transaction.atomic():
        locked = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[survivor.pk, duplicate.pk]).order_by("pk")}
        survivor, duplicate = locked[survivor.pk], locked[duplicate.pk]
        if survivor.merged_into_id or duplicate.merged_into_id:
            raise ValidationError(_("One of these customers has already been merged."), code="already_merged")

        # A greeting sent to both this year is one greeting: the duplicate's would break (customer, year).
        from contracts.models import CareGreeting

        CareGreeting.objects.filter(customer=duplicate,
                                    year__in=CareGreeting.objects.filter(customer=survivor).values("year")).delete()
        moved = {}
        try:
            with transaction.atomic():
                # M2M to Customer live in auto-created through models, which are covered here too.
                for model, f in _reverse_foreign_keys():
                    n = model._base_manager.filter(**{f.name: duplicate}).update(**{f.name: survivor})
                    if n:
                        moved[model._meta.label] = moved.get(model._meta.label, 0) + n
        except IntegrityError:
            # e.g. a one-to-one or (customer, x) unique row that both customers have.
            raise ValidationError(
                _("These customers both have a record that can exist only once per customer; resolve it in the admin first."),
                code="merge_conflict",
            )
        # Older tombstones now lead straight to the survivor.
        retargeted = Customer.objects.filter(merged_into=duplicate).update(merged_into=survivor)

        filled = {}
        for name in MERGE_FILL_FIELDS:
            f = Customer._meta.get_field(name)
            attname = f.attname
            if getattr(survivor, attname) in (None, "") and getattr(duplicate, attname) not in (None, ""):
                setattr(survivor, attname, getattr(duplicate, attname))
                filled[name] = _display(getattr(survivor, name))
        if duplicate.is_key_account and not survivor.is_key_account:
            survivor.is_key_account = True
            filled["is_key_account"] = True
        if duplicate.care_greetings and not survivor.care_greetings:  # the customer's consent is kept
            survivor.care_greetings = True
            filled["care_greetings"] = True
        survivor.save()
        # The moved tickets take the survivor's flag (either customer's tickets may differ from it now).
        _key_account_changed(survivor)
        if moved.get("contracts.ServiceContract"):
            # A moved contract may renew one of the survivor's, or be renewed by one: the links are re-derived.
            from contracts.services import contracts_link_renewals

            contracts_link_renewals(customer_id=survivor.pk)
        duplicate.merged_into = survivor
        duplicate.save(update_fields=["merged_into", "updated_at"])

        summary = {"moved": moved, "filled": filled, "tombstones_retargeted": retargeted}
        CustomerEvent.objects.create(
            customer=survivor,
            actor=merged_by,
            kind=CustomerEvent.Kind.MERGED,
            data={"role": "survivor", "other": duplicate.pk, "other_name": duplicate.name, **summary},
        )
        CustomerEvent.objects.create(
            customer=duplicate,
            actor=merged_by,
            kind=CustomerEvent.Kind.MERGED,
            data={"role": "duplicate", "other": survivor.pk, "other_name": survivor.name, **summary},
        )
    return summary


def customer_export_record(*, exported_by, filters: dict, row_count: int):
    """Customer data is confidential (保密): every export is logged with who, when, filter and size."""
    from .models import CustomerExport

    return CustomerExport.objects.create(exported_by=exported_by, filters=filters, row_count=row_count)
