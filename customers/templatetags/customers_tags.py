from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from django.core.exceptions import FieldDoesNotExist

from customers.models import Asset, Customer

register = template.Library()

# The department's first four tiers keep their colours; tiers a manager adds show plain.
TIER_CLASSES = {
    Customer.Tier.DIAMOND: "text-bg-info",
    Customer.Tier.GOLD: "text-bg-warning",
    Customer.Tier.SILVER: "text-bg-secondary",
    Customer.Tier.BASIC: "text-bg-light border",
}


@register.simple_tag
def ticket_url(ticket):
    """The tickets app owns ticket pages: link there when it has one, else to the customer."""
    try:
        return reverse("tickets:detail", args=[ticket.pk])
    except NoReverseMatch:
        return reverse("customers:detail", args=[ticket.customer_id])


@register.inclusion_tag("customers/_tier_badge.html")
def tier_badge(customer):
    return {"customer": customer, "css": TIER_CLASSES.get(customer.tier, "text-bg-light")}


@register.filter
def event_changes(event):
    """[(field label, before, after)] from a CustomerEvent's data, for the timeline."""
    changes = (event.data or {}).get("changes") or {}
    out = []
    for name, pair in changes.items():
        label = {"phones": _("phones")}.get(name)
        choices = {}
        for model in () if label else (Customer, Asset):
            try:
                field = model._meta.get_field(name)
                label, choices = field.verbose_name, dict(field.flatchoices or ())
                if model is Customer and name == "tier":
                    from customers.tiers import tier_labels

                    choices = tier_labels()  # tiers are data (issue 17): their names, not the codes
                break
            except FieldDoesNotExist:
                continue
        label = label or name.replace("_", " ")
        before, after = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
        if choices:
            before, after = choices.get(before, before), choices.get(after, after)
        if isinstance(before, list):
            before = ", ".join(before)
        if isinstance(after, list):
            after = ", ".join(after)
        out.append((label, before, after))
    return out


@register.filter
def phone_display(e164: str) -> str:
    """+8613812345678 → 138 1234 5678; +861012345678 → 010 1234 5678; foreign numbers international.
    The one filter for every number shown on screen (customers.phones.phone_display)."""
    from customers.phones import phone_display as display

    return display(e164)


@register.filter
def phone_masked(e164: str) -> str:
    """138 1234 5678 → 138 **** 5678 (customers.privacy.mask_phone)."""
    from customers.privacy import mask_phone

    return mask_phone(e164)


@register.filter
def address_masked(address: str) -> str:
    """北京市朝阳区建国路88号 → 北京市朝阳区**** (customers.privacy.mask_address)."""
    from customers.privacy import mask_address

    return mask_address(address)


def _reveal_button(customer_id, what, place, ref, masked, phone_id=None, call_id=None):
    from django.utils.html import format_html
    from django.utils.http import urlencode

    query = {"what": what, "place": place, "ref": ref}
    if phone_id:
        query["phone"] = phone_id
    if call_id:
        query["call"] = call_id
    url = reverse("customers:reveal", args=[customer_id]) + "?" + urlencode(query)
    label = _("Show the full number") if what == "phone" else _("Show the full address")
    return format_html(
        '<span data-pii>{} <button type="button" class="btn btn-link btn-sm p-0 align-baseline" hx-post="{}" '
        'hx-target="closest [data-pii]" hx-swap="outerHTML" title="{}"><i class="bi bi-eye" aria-hidden="true"></i>'
        '<span class="visually-hidden">{}</span></button></span>', masked, url, label, label)


@register.simple_tag(takes_context=True)
def pii_phone(context, phone, customer_id, place, ref="", reveal=True, call_id=None):
    """A customer's phone number as this person may see it in ``place`` (issue 19, PIPL): in full, or
    masked with a one-click, logged reveal (customers.privacy). ``phone`` is a CustomerPhone or an E.164.
    ``reveal=False`` where the row itself is a link to the customer's page (which shows it in full)."""
    from customers.privacy import mask_phone, sees_full

    number = getattr(phone, "number", phone) or ""
    if not number:
        return ""
    user = context["request"].user
    if sees_full(user, place) or not reveal or not customer_id or not user.has_perm("customers.view_customer"):
        return phone_display(number) if sees_full(user, place) else mask_phone(number)
    if not hasattr(phone, "pk") and not call_id:
        return mask_phone(number)  # a bare number: the reveal needs to know which of the customer's it is
    return _reveal_button(customer_id, "phone", place, ref, mask_phone(number), getattr(phone, "pk", None), call_id)


@register.simple_tag(takes_context=True)
def job_pii_full(context, work_order) -> bool:
    """May this person see the customer's full number and address on this job? (customers.privacy)"""
    from customers.privacy import job_shows_full

    return job_shows_full(context["request"].user, work_order)


@register.simple_tag(takes_context=True)
def pii_address(context, address, customer_id, place, ref=""):
    from customers.privacy import mask_address, sees_full

    if not address:
        return ""
    user = context["request"].user
    if sees_full(user, place):
        return address
    if not customer_id or not user.has_perm("customers.view_customer"):
        return mask_address(address)
    return _reveal_button(customer_id, "address", place, ref, mask_address(address))
