from django import template
from django.utils.translation import gettext as _, gettext_lazy

from customers.models import Channel
from servicedesk.lookups import localized_name
from tickets.models import Complaint, Ticket
from tickets.rows import KIND_ICONS, PRIORITY_COLOURS, STAGE_COLOURS, STATUS_COLOURS, ticket_rows_html

register = template.Library()

EVENT_LABELS = {
    "created": gettext_lazy("opened the ticket"),
    "status": gettext_lazy("changed the status"),
    "assigned": gettext_lazy("assigned the ticket"),
    "taken": gettext_lazy("took the ticket"),
    "priority": gettext_lazy("changed the priority"),
    "changed": gettext_lazy("edited the ticket"),
    "kind": gettext_lazy("reclassified the ticket"),
    "first_response": gettext_lazy("first response given"),
    "attachment": gettext_lazy("attached a file"),
    "contact": gettext_lazy("logged a contact as the answer"),
    "delivery_failed": gettext_lazy("a reply could not be emailed"),
    "complaint_changed": gettext_lazy("classified the complaint"),
    "complaint_investigated": gettext_lazy("recorded the investigation"),
    "complaint_decided": gettext_lazy("decided the complaint handling"),
    "complaint_solution_sent": gettext_lazy("sent the result to the customer"),
    "complaint_return_visit": gettext_lazy("recorded the return visit"),
    "complaint_stage": gettext_lazy("complaint stage"),
    # The customer's door (portal): messages to the customer and what the customer did on the status page.
    "message_to_customer": gettext_lazy("message to the customer"),
    "customer_reply": gettext_lazy("wrote on the status page"),
    "customer_callback_request": gettext_lazy("asked for a call back"),
    "customer_confirmed": gettext_lazy("confirmed it is fixed"),
    "customer_stopped_messages": gettext_lazy("stopped progress messages"),
    "complaint_opened": gettext_lazy("a complaint was opened about this ticket"),
    "about_ticket": gettext_lazy("opened about an earlier ticket"),
    "status_link_revoked": gettext_lazy("replaced the customer's status link"),
    "status_link_sent": gettext_lazy("sent the customer their status link"),
    # Issue 17: 首问责任制 and the green channel.
    "first_inquiry": gettext_lazy("became the first-inquiry owner"),
    "first_inquiry_changed": gettext_lazy("changed the first-inquiry owner"),
    "key_account_no_manager": gettext_lazy("key-account fault: no active account manager to notify"),
    # Issue 17: departments that answer for complaints.
    "department_handoff": gettext_lazy("handed the complaint to a department"),
    "department_accepted": gettext_lazy("accepted the complaint for the department"),
    "department_refused": gettext_lazy("refused the complaint for the department"),
    "department_findings": gettext_lazy("reported the department's findings"),
    "department_withdrawn": gettext_lazy("withdrew the hand-off to a department"),
    # Issue 19.
    "tags": gettext_lazy("changed the tags"),
    "merged": gettext_lazy("merged a duplicate into this ticket"),
    "merged_into": gettext_lazy("merged this ticket into"),
    "linked": gettext_lazy("linked a ticket"),
    "unlinked": gettext_lazy("removed a link"),
}
LINK_ROLES = {
    "related": gettext_lazy("related"), "child": gettext_lazy("child"), "parent": gettext_lazy("parent"),
}
# Events with no staff actor: what the customer did on the status page, and what they were sent.
PORTAL_EVENTS = {"customer_reply", "customer_callback_request", "customer_confirmed", "customer_stopped_messages",
                 "message_to_customer", "complaint_opened", "about_ticket"}
MESSAGE_OUTCOMES = {
    "queued": gettext_lazy("queued"),
    "held": gettext_lazy("held until quiet hours end"),
    "stopped": gettext_lazy("not sent: the customer stopped progress messages"),
    "no_address": gettext_lazy("not sent: no mobile or e-mail"),
}
MESSAGE_EVENTS = {
    "ack": gettext_lazy("acknowledgement"), "visit_booked": gettext_lazy("visit booked"),
    "visit_reminder": gettext_lazy("visit reminder"), "waiting": gettext_lazy("waiting for the customer"),
    "resolved": gettext_lazy("resolved"),
}
FIELD_LABELS = {
    "subject": gettext_lazy("Subject"), "description": gettext_lazy("Description"),
    "channel": gettext_lazy("Channel"), "asset": gettext_lazy("Product / asset"),
}


@register.simple_tag
def ticket_rows(page, now, selectable=False):
    """The rows of a ticket list or queue page (tickets/rows.py: rendered in Python, issue 14)."""
    return ticket_rows_html(page, now, selectable)


@register.filter
def status_colour(status):
    return STATUS_COLOURS.get(status, "secondary")


@register.filter
def stage_colour(stage):
    return STAGE_COLOURS.get(stage, "secondary")


@register.filter
def priority_colour(priority):
    return PRIORITY_COLOURS.get(priority, "secondary")


@register.filter
def kind_icon(kind):
    return KIND_ICONS.get(kind, "bi-ticket")


@register.simple_tag
def event_label(ev):
    # Other areas record their own kinds on the timeline (e.g. callbacks): show them readably.
    return EVENT_LABELS.get(ev.kind) or ev.kind.replace("_", " ")


def _user(users, pk):
    if not pk:
        return _("nobody")
    u = users.get(pk)
    return (u.get_full_name() or u.get_username()) if u else f"#{pk}"


@register.simple_tag
def event_change(ev, users):
    """before → after in words, for the timeline."""
    if ev.kind == "status":
        after = ev.after["status"] if isinstance(ev.after, dict) else ev.after
        return f"{Ticket.Status(ev.before).label} → {Ticket.Status(after).label}"
    if ev.kind == "kind":
        return f"{Ticket.Kind(ev.before).label} → {Ticket.Kind(ev.after).label}"
    if ev.kind == "priority":
        return f"{Ticket.Priority(ev.before).label} → {Ticket.Priority(ev.after).label}"
    if ev.kind in ("assigned", "taken"):
        return f"{_user(users, (ev.before or {}).get('assignee'))} → {_user(users, (ev.after or {}).get('assignee'))}"
    if ev.kind == "message_to_customer" and isinstance(ev.after, dict):
        what = MESSAGE_EVENTS.get(ev.after.get("event"), ev.after.get("event", ""))
        outcome = MESSAGE_OUTCOMES.get(ev.after.get("outcome"), ev.after.get("outcome", ""))
        by = {"sms": _("SMS"), "email": _("e-mail")}.get(ev.after.get("channel"), "")
        return f"{what} · {outcome}" + (f" ({by})" if by else "")
    if ev.kind in ("complaint_opened", "about_ticket") and isinstance(ev.after, dict):
        return ev.after.get("complaint") or ev.after.get("ticket") or ""
    if ev.kind == "changed":
        label = FIELD_LABELS.get(ev.field, ev.field)
        if ev.field == "channel":
            return f"{label}: {Channel(ev.before).label} → {Channel(ev.after).label}"
        if ev.field == "description":
            return str(label)
        return f"{label}: {ev.before or '—'} → {ev.after or '—'}"
    if ev.kind == "tags" and isinstance(ev.before, list) and isinstance(ev.after, list):
        added = [f"+{n}" for n in ev.after if n not in ev.before]
        removed = [f"−{n}" for n in ev.before if n not in ev.after]
        return " ".join(added + removed)
    if ev.kind in ("merged", "merged_into") and isinstance(ev.after, dict):
        return ev.after.get("number", "")
    if ev.kind in ("linked", "unlinked") and isinstance(ev.after, dict):
        return f"{ev.after.get('number', '')} ({LINK_ROLES.get(ev.after.get('role'), '')})"
    if ev.kind == "department_handoff":
        return (ev.after or {}).get("name", "")
    if ev.kind == "first_inquiry_changed":
        return f"{(ev.before or {}).get('name') or _('nobody')} → {(ev.after or {}).get('name', '')}"
    if ev.kind == "created":
        return ev.after.get("number", "") if isinstance(ev.after, dict) else ""
    if ev.kind == "attachment":
        return (ev.after or {}).get("name", "")
    if ev.kind == "complaint_decided":
        remedy = (ev.after or {}).get("remedy")
        return Complaint.Remedy(remedy).label if remedy in Complaint.Remedy.values else ""
    if ev.kind == "complaint_return_visit":
        outcome = (ev.after or {}).get("return_visit_outcome")
        return Complaint.Outcome(outcome).label if outcome in Complaint.Outcome.values else ""
    if ev.kind == "complaint_stage":
        values = Complaint.Stage.values
        if ev.before in values and ev.after in values:
            return f"{Complaint.Stage(ev.before).label} → {Complaint.Stage(ev.after).label}"
        return ""
    if ev.kind == "complaint_changed":
        cat = (ev.after or {}).get("category")
        return Complaint.Category(cat).label if cat in Complaint.Category.values else ""
    return ""


@register.filter
def resolution_text(ev):
    if ev.kind == "status" and isinstance(ev.after, dict):
        parts = [localized_name(ev.after.get("fault_cause"), ev.after.get("fault_cause_en")), ev.after.get("solution") or ""]
        return " · ".join(p for p in parts if p)
    return ""


@register.filter
def link_role(role):
    return LINK_ROLES.get(role, role)


@register.filter
def filesize_kb(value):
    return f"{max(1, round(value / 1024))} KB"


# --- The ticket page's timeline, rendered in Python (issue 14) -----------------------------------------
# Each entry through the template engine cost ~0.15 ms (a dozen tags and filters): a 50-reply ticket spent
# more on its timeline than on everything else. Same markup as the loop it replaced, same msgids, every
# value escaped by format_html.

_DELIVERY_DANGER = ("failed", "gave_up", "no_email")


def _event_html(at: str, ev, users, customer_name: str):
    from django.utils.html import format_html

    if ev.actor_id and ev.actor is not None:
        who = ev.actor.get_full_name() or ev.actor.username
    elif ev.kind[:9] == "customer_":
        who = f"{_('Customer')} {customer_name}"
    else:
        who = _("System")
    change = event_change(ev, users)
    resolution = resolution_text(ev)
    return format_html(
        '<li class="small"><span class="text-body-secondary">{}</span> <strong>{}</strong> {}{}{}{}</li>',
        at, who, event_label(ev),
        format_html(': <span class="text-body-emphasis">{}</span>', change) if change else "",
        format_html('<div class="text-body-secondary">{}</div>', resolution) if resolution else "",
        format_html('<div class="fst-italic text-body-secondary">“{}”</div>', ev.message)
        if ev.message and ev.kind != "first_response" else "",
    )


def _delivery_label(status: str):
    """reply.get_delivery_status_display() without its per-call rebuild of the choices (~0.1 ms a reply)."""
    from tickets.models import TicketReply

    try:
        return TicketReply.Delivery(status).label
    except ValueError:
        return status


def _reply_html(at: str, reply, customer_name: str):
    from django.utils.html import format_html
    from django.utils.safestring import mark_safe

    if reply.from_customer:
        who = customer_name
        badge = format_html('<span class="badge text-bg-info">{}</span>', _("From the customer (status page)"))
    else:
        author = reply.author
        who = (author.get_full_name() or author.username) if author is not None else ""
        badge = (format_html('<span class="badge text-bg-primary">{}</span>', _("Reply to customer")) if reply.public
                 else format_html('<span class="badge text-bg-warning">{}</span>', _("Internal note")))
    delivery = mark_safe("")
    if reply.public and not reply.from_customer:
        status = reply.delivery_status
        colour = ("text-bg-success" if status == "sent" else "text-bg-danger" if status in _DELIVERY_DANGER
                  else "text-bg-light border")
        channel = (format_html('<i class="bi bi-phone"></i> {} · ', _("SMS")) if reply.delivery_channel == "sms"
                   else format_html('<i class="bi bi-envelope"></i> {} · ', _("E-mail"))
                   if reply.delivery_channel == "email" else "")
        delivery = format_html(' <span class="ms-auto badge {}" title="{}" data-delivery="{}">{}{}</span>', colour,
                               reply.last_error, status, channel, _delivery_label(status))
    public = reply.public
    return format_html(
        '<li><div class="card {}"><div class="card-header py-1 small d-flex flex-wrap gap-2 {}"><strong>{}</strong> {} '
        '<span class="text-body-secondary">{}</span>{}</div>'
        '<div class="card-body py-2" style="white-space: pre-wrap">{}</div></div></li>',
        "border-primary-subtle" if public else "border-warning-subtle bg-warning-subtle",
        "bg-primary-subtle" if public else "", who, badge, at, delivery, reply.body,
    )


@register.simple_tag
def timeline_items(timeline, users, ticket):
    """The timeline's <li> entries: (kind, at, id, item) from tickets.selectors.ticket_timeline."""
    from django.utils.html import format_html_join

    from servicedesk.timetext import local_stamp

    customer_name = ticket.customer.name
    return format_html_join("\n", "{}", (
        ((_event_html(local_stamp(at), item, users, customer_name) if kind == "event"
          else _reply_html(local_stamp(at), item, customer_name)),)
        for kind, at, _id, item in timeline
    ))


# The ticket page's closed action panels: the same markup for every ticket but its id (in the URL the
# panel's form loads from). Each through the template engine cost ~0.1 ms, ten on a page: rendered once
# per (panel, language, URL prefix) in the process, with a stand-in id that is then replaced. The panel
# being corrected (bound, with its errors) is rendered as before.
_PANEL_MEMO: dict = {}
_PANEL_ID = 987654321


class _StandIn:
    pk = _PANEL_ID


@register.simple_tag(takes_context=True)
def action_panels(context, panels):
    from django.urls import get_script_prefix
    from django.utils import translation
    from django.utils.safestring import mark_safe

    template = context.template.engine.get_template("tickets/_action_form.html")
    ticket_id = str(context["ticket"].pk)
    bound_name = context.get("bound_name")
    parts = []
    for name, title, icon, button in panels:
        values = {"name": name, "title": title, "icon": icon, "button": button}
        if name == bound_name:
            with context.push(**values):
                parts.append(template.render(context))
            continue
        key = (name, str(title), icon, str(button), translation.get_language(), get_script_prefix())
        html = _PANEL_MEMO.get(key)
        if html is None:
            with context.push(**values, ticket=_StandIn(), bound_name=""):
                html = template.render(context)
            if len(_PANEL_MEMO) >= 512:
                _PANEL_MEMO.clear()
            _PANEL_MEMO[key] = html
        parts.append(html.replace(str(_PANEL_ID), ticket_id))
    return mark_safe("".join(parts))
