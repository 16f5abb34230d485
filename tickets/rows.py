"""The ticket list's and work queue's rows, rendered in Python (issue 14).

A page shows 25 rows; through the template engine each row cost ~0.7 ms (two includes, a dozen
filters, two relative times), most of the list page's time once its SQL was a few milliseconds.
Here a row costs a few tens of microseconds. Same markup as before, every text through gettext
(the same msgids, so the catalogue already has them), every value escaped (servicedesk.fasthtml: Django's
format_html rules without its per-value bookkeeping, called fmt and fmt_join so no reader takes them for Django's).
"""
from __future__ import annotations

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from servicedesk.fasthtml import fmt, fmt_join
from servicedesk.timetext import local_stamp, timesince, timeuntil

STATUS_COLOURS = {
    "new": "primary", "acknowledged": "info", "in_progress": "warning", "waiting": "secondary",
    "resolved": "success", "closed": "dark", "reopened": "danger", "cancelled": "light",
}
PRIORITY_COLOURS = {0: "danger", 1: "warning", 2: "secondary", 3: "light"}
KIND_ICONS = {"inquiry": "bi-question-circle", "repair": "bi-tools", "complaint": "bi-exclamation-octagon",
              "suggestion": "bi-lightbulb", "installation": "bi-box-seam"}
STAGE_COLOURS = {
    "classified": "secondary", "investigating": "info", "awaiting_decision": "warning", "solution": "primary",
    "return_visit": "success", "closed": "dark",
}


def due_html(t, now) -> SafeString:
    """The ticket's next SLA deadline (Ticket.sla_due_at), relative to now; the exact time on hover."""
    if t.sla_due_at:
        if t.sla_due_at <= now:
            return fmt(
                '<span class="text-danger fw-semibold" title="{}"><i class="bi bi-alarm"></i> {}</span>',
                local_stamp(t.sla_due_at), _("overdue %(time)s") % {"time": timesince(t.sla_due_at, now)},
            )
        return fmt('<span title="{}">{}</span>', local_stamp(t.sla_due_at),
                   _("in %(time)s") % {"time": timeuntil(t.sla_due_at, now)})
    if t.status == "waiting":
        return fmt('<span class="text-body-secondary">{}</span>', pgettext("SLA clock", "paused"))
    return mark_safe('<span class="text-body-secondary">—</span>')


class Labels:
    """Choice labels in the active language, translated once per page (get_FOO_display rebuilds a
    dict of every choice, translating each label, on every call)."""

    def __init__(self):
        from customers.tiers import plain_tier_codes, tier_labels
        from tickets.models import Complaint, Ticket

        def table(choices):
            return {value: str(label) for value, label in choices}

        self.status, self.priority = table(Ticket.Status.choices), table(Ticket.Priority.choices)
        self.kind, self.stage = table(Ticket.Kind.choices), table(Complaint.Stage.choices)
        # Tiers are data (issue 17): every row's tier name from customers.tiers' copy of the table (no query
        # while no tier changed).
        self.tier, self.plain_tiers = tier_labels(), plain_tier_codes()
        self.complaint_stage, self.unassigned = _("Complaint stage"), _("Unassigned")
        self.key_account, self.key_account_title = _("Key account"), _("Key account: green channel")
        self.first_inquiry = _("First inquiry")
        self.select = _("Select %(number)s")  # each row's checkbox label, filled in per row


def stage_badge_html(t, labels: Labels) -> SafeString:
    """A complaint's stage next to its status (t from ticket_list_base: the complaint is joined)."""
    complaint = getattr(t, "complaint", None) if t.kind == "complaint" else None
    if complaint is None:
        return mark_safe("")
    return fmt(
        ' <span class="badge text-bg-{} complaint-stage" title="{}"><i class="bi bi-signpost-split"></i> {}</span>',
        STAGE_COLOURS.get(complaint.stage, "secondary"), labels.complaint_stage,
        labels.stage.get(complaint.stage, complaint.stage),
    )


def key_account_badge_html(t, labels: Labels) -> SafeString:
    """The green channel's badge (issue 17): the ticket's own copy of the customer's flag."""
    if not t.is_key_account:
        return mark_safe("")
    return fmt(' <span class="badge text-bg-warning key-account-badge" title="{}"><i class="bi bi-star-fill"></i> {}</span>',
               labels.key_account_title, labels.key_account)


def _badges(t, labels: Labels) -> SafeString:
    return fmt(
        '<span class="badge text-bg-{}{}">{}</span> <span class="badge text-bg-{}{}">{}</span>{}{}',
        STATUS_COLOURS.get(t.status, "secondary"), " border" if t.status == "cancelled" else "",
        labels.status.get(t.status, t.status),
        PRIORITY_COLOURS.get(t.priority, "secondary"), " border" if t.priority == 3 else "",
        labels.priority.get(t.priority, t.priority), stage_badge_html(t, labels), key_account_badge_html(t, labels),
    )


def ticket_row_html(t, now, url: str, labels: Labels, selectable: bool = False) -> SafeString:
    badges, due = _badges(t, labels), due_html(t, now)
    customer = t.customer
    tier = (fmt(' <span class="badge text-bg-light border">{}</span>', labels.tier.get(customer.tier, customer.tier))
            if customer.tier not in labels.plain_tiers else "")
    if t.assignee_id:
        who = fmt("{}", t.assignee.get_full_name() or t.assignee.username)
    else:
        who = fmt('<span class="text-body-secondary">{}</span>', labels.unassigned)
    # SafeString on both sides: "" + SafeString is a plain str, which fmt would escape (the first-
    # inquiry line showed as markup on every ticket without a team).
    team = fmt('<div class="small text-body-secondary">{}</div>', t.team.display_name) if t.team_id else mark_safe("")
    if t.first_inquiry_owner_id and t.first_inquiry_owner_id != t.assignee_id:
        owner = t.first_inquiry_owner
        team += fmt('<div class="small text-body-secondary first-inquiry" title="{}"><i class="bi bi-person-badge"></i> {}</div>',
                    labels.first_inquiry, owner.get_full_name() or owner.username)
    subject = t.subject if len(t.subject) <= 70 else t.subject[:69] + "…"  # truncatechars:70
    # Issue 19: a checkbox for bulk changes; it belongs to the bulk bar's form (#bulk-form).
    pick = fmt('<td class="text-center"><input class="form-check-input" type="checkbox" name="ids" value="{}" '
               'form="bulk-form" aria-label="{}"></td>', t.pk,
               labels.select % {"number": t.number}) if selectable else ""
    return fmt(
        "<tr>{pick}"
        '<td class="text-nowrap"><i class="bi {kind_icon} text-body-secondary" title="{kind}"></i> '
        '<a href="{url}" class="fw-semibold">{number}</a></td>'
        '<td><a href="{url}" class="text-body text-decoration-none">{subject}</a>'
        '<div class="d-md-none small text-body-secondary">{customer}</div>'
        '<div class="d-md-none">{badges} <div class="small">{due}</div></div></td>'
        '<td class="d-none d-md-table-cell">{customer}{tier}</td>'
        '<td class="text-nowrap d-none d-md-table-cell">{badges}</td>'
        '<td class="d-none d-lg-table-cell">{who}{team}</td>'
        '<td class="d-none d-md-table-cell text-nowrap">{due}</td>'
        '<td class="d-none d-lg-table-cell text-nowrap" title="{opened}">{age}</td>'
        "</tr>",
        kind_icon=KIND_ICONS.get(t.kind, "bi-ticket"), kind=labels.kind.get(t.kind, t.kind), url=url, number=t.number,
        subject=subject, customer=customer.name, badges=badges, due=due, tier=tier, who=who, team=team,
        opened=local_stamp(t.created_at), age=timesince(t.created_at, now), pick=pick,
    )


def ticket_rows_html(tickets, now, selectable: bool = False) -> SafeString:
    """All rows of a page; the detail URL reversed once and filled in per ticket."""
    sentinel = 987654321
    pattern, labels = reverse("tickets:detail", args=[sentinel]), Labels()
    return fmt_join("\n", "{}", (
        (ticket_row_html(t, now, pattern.replace(str(sentinel), str(t.pk)), labels, selectable),) for t in tickets
    ))
