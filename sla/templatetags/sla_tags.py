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


_LEVEL_ICONS = {"warning": "bi-exclamation-triangle text-warning", "breach": "bi-fire text-danger"}


@register.simple_tag
def escalation_history(history):
    """A clock's escalations as the ticket page's SLA panel lists them (the clock's `history`, see
    sla.selectors.ticket_clocks). Written in Python: the template's loop formatted four dates per entry
    (~0.3 ms an entry, on every ticket page). The same markup and msgids."""
    from django.utils.html import format_html, format_html_join

    from servicedesk.timetext import local_stamp
    from sla.models import SLAEscalation

    if not history:
        return ""

    def entry(e):
        due, done = local_stamp(e.scheduled_for), local_stamp(e.fired_at)  # "YYYY-MM-DD HH:MM", local
        try:
            level = SLAEscalation.Level(e.level).label
        except ValueError:
            level = e.level
        # Sent in another minute than it was due: say when ("MM-DD HH:MM").
        sent = format_html(' <span class="text-body-secondary">({})</span>', _("sent %(at)s") % {"at": done[5:]}) \
            if done != due else ""
        return _LEVEL_ICONS.get(e.level, "bi-megaphone text-danger"), level, due, sent

    return format_html('<ol class="list-unstyled small mb-0 mt-1 ps-2 border-start">\n{}\n</ol>', format_html_join(
        "\n", '<li><i class="bi {}"></i>\n          {} · {}{}</li>', (entry(e) for e in history)))
