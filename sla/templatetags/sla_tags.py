from datetime import timedelta

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def span(value):
    """A duration as people say it: "3 d 4 h", "2 h 05 min", "12 min"."""
    if value is None or value == "":
        return "—"
    if not isinstance(value, timedelta):
        return value
    minutes = int(abs(value.total_seconds()) // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s h %(m)02d min") % {"h": hours, "m": mins}
    return _("%(m)s min") % {"m": mins}


STATE_BADGE = {
    "met": "success", "missed": "danger", "stopped": "secondary", "paused": "info", "breached": "danger",
    "at_risk": "warning", "running": "primary",
}


@register.filter
def state_badge(state):
    return STATE_BADGE.get(state, "secondary")


@register.filter
def pct_class(pct):
    if pct is None:
        return "text-body-secondary"
    return "text-success" if pct >= 95 else ("text-warning-emphasis" if pct >= 80 else "text-danger")


@register.simple_tag
def ticket_clock_rows(ticket):
    """The SLA panel's rows for the ticket page (sla.selectors.ticket_clock_rows)."""
    from sla import selectors

    return selectors.ticket_clock_rows(ticket)
