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
    """138 1234 5678 → 138 **** 5678: enough to pick the right caller among several, not to read it aloud.

    Used when a search by a few digits (尾号) lists more than one customer on a screen others may see.
    """
    shown = phone_display(e164)
    total = sum(ch.isdigit() for ch in shown)
    out, seen = [], 0
    for ch in shown:
        if ch.isdigit():
            seen += 1
            if 3 < seen <= total - 4:
                ch = "*"
        out.append(ch)
    return "".join(out)
