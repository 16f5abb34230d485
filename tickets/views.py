"""Thin views: form → service → message + redirect. Each action the page offers is its own POST."""
import logging
import uuid
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from customers.models import Contact, Customer
from servicedesk import exports
from servicedesk.compiled import compiled_one
from servicedesk.params import id_param, next_url
from servicedesk.permissions import perm_required

from . import selectors, services
from .filters import TicketFilter
from .forms import (
    AssignForm,
    AttachForm,
    ComplaintClassifyForm,
    ComplaintDecideForm,
    ComplaintInvestigateForm,
    ComplaintReturnVisitForm,
    FirstInquiryForm,
    ComplaintSolutionForm,
    CustomerPickForm,
    HandoffAcceptForm,
    HandoffFindingsForm,
    HandoffRefuseForm,
    EditForm,
    LinkForm,
    MergeForm,
    PriorityForm,
    ReplyForm,
    ResolveForm,
    StatusForm,
    TagsForm,
    TicketCreateForm,
    UnlinkForm,
)
from .models import Complaint, ComplaintHandoff, Ticket, TicketReply

S = Ticket.Status

logger = logging.getLogger(__name__)


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- Create ----------------------------------------------------------------------------------------

def _customer_by_id(pk):
    return Customer.objects.filter(pk=pk)


@perm_required("tickets.add_ticket")
def ticket_create(request):
    """Open a ticket for a customer, in the same flow as the front desk's contact log.

    ?customer=<id>&contact=<id> pre-fill it (the front desk redirects here after logging a contact).
    """
    customer_id = _int_or_none(request.GET.get("customer") or request.POST.get("customer"))
    if customer_id is None:
        return _customer_pick(request)
    customer = compiled_one("tickets.create_customer", _customer_by_id, customer_id)  # every ticket opened
    if customer is None:
        raise Http404
    if customer.merged_into_id:
        return redirect(f"{reverse('tickets:create')}?customer={customer.merged_into_id}")
    contact = None
    contact_id = _int_or_none(request.GET.get("contact") or request.POST.get("contact"))
    if contact_id is not None:
        contact = Contact.objects.filter(pk=contact_id, customer=customer, ticket__isnull=True).first()
    initial = {"client_token": uuid.uuid4().hex}
    if contact is not None:
        initial.update(channel=contact.channel, description=contact.notes)
        if contact.purpose in Ticket.Kind.values:
            initial["kind"] = contact.purpose
    if request.GET.get("kind") in Ticket.Kind.values:
        initial["kind"] = request.GET["kind"]
    if request.GET.get("asset"):
        initial["asset"] = _int_or_none(request.GET.get("asset"))
    if request.method == "POST":
        token = (request.POST.get("client_token") or "")[:64]
        done = _created_ticket(request.user, token) if token else None
        if done:  # a double-click: show the ticket the first click made
            return redirect("tickets:created", pk=done)
        form = TicketCreateForm(request.POST, request.FILES, customer=customer)
        if form.is_valid():
            d = form.cleaned_data
            try:
                ticket = services.ticket_create(
                    customer=customer, kind=d["kind"], subject=d["subject"], description=d["description"],
                    channel=d["channel"], priority=d["priority"], asset=d["asset"], contact=contact,
                    created_by=request.user,
                )
                for f, content_type in d["attachments"]:
                    services.attachment_add(ticket=ticket, uploaded_by=request.user, file=f,
                                            content_type=content_type)
            except ValidationError as e:
                form.add_error(None, e)
            else:
                if token:
                    _created_remember(request.user, token, ticket.pk)
                return redirect("tickets:created", pk=ticket.pk)
    else:
        form = TicketCreateForm(initial=initial, customer=customer)
    return render(request, "tickets/create.html", {
        "form": form, "customer": customer, "contact": contact,
        "assets": list(customer.assets.all()), "today": timezone.localdate(),
    }, status=400 if request.method == "POST" else 200)


# The form's one-time token → the ticket it made, per user, for a day. In the cache rather than the
# session: saving the session would cost every ticket opened a transaction of its own.
CREATED_TOKEN_SECONDS = 24 * 3600


def _created_key(user, token: str) -> str:
    return f"tickets:created:{user.pk}:{token}"


# The guard is a nicety; intake is not. With the cache (Redis) down, a ticket is still opened.
def _created_ticket(user, token: str):
    try:
        return cache.get(_created_key(user, token))
    except Exception:
        logger.warning("ticket create: cache unavailable, double-click guard skipped", exc_info=True)
        return None


def _created_remember(user, token: str, pk: int) -> None:
    try:
        cache.set(_created_key(user, token), pk, CREATED_TOKEN_SECONDS)
    except Exception:
        logger.warning("ticket create: cache unavailable, double-click guard not recorded", exc_info=True)


def _customer_pick(request):
    form = CustomerPickForm(request.GET or None)
    results = []
    if form.is_valid():
        q = form.cleaned_data["q"].strip()
        digits = "".join(ch for ch in q if ch.isdigit())
        cond = Q(name__icontains=q)
        if len(digits) >= 4:
            cond |= Q(phones__national__contains=digits)
        results = list(Customer.objects.filter(cond, merged_into__isnull=True).distinct().order_by("name")[:PICK_LIMIT + 1])
    more = len(results) > PICK_LIMIT  # never cut silently: say that more match
    return render(request, "tickets/create_pick.html", {"form": form, "results": results[:PICK_LIMIT], "more": more,
                                                         "limit": PICK_LIMIT})


PICK_LIMIT = 20


@perm_required("tickets.view_ticket")
def ticket_created(request, pk):
    """The confirmation: the number LARGE for reading out, and the promised answer time."""
    ticket = get_object_or_404(Ticket.objects.select_related("customer"), pk=pk)
    deadline = selectors.promised_first_response(ticket)
    return render(request, "tickets/created.html", {"ticket": ticket, "deadline": deadline})


# --- Queue and list --------------------------------------------------------------------------------

def _list_access(user):
    if not user.has_perm("tickets.view_ticket"):
        raise PermissionDenied


@perm_required("tickets.view_ticket")
def ticket_queue(request):
    """The agent's home: my tickets, my team's, unassigned. Open only; the next SLA deadline first."""
    tab = request.GET.get("tab") or "mine"
    if tab not in selectors.QUEUE_TABS:
        tab = "mine"
    sort = request.GET.get("sort") if request.GET.get("sort") in selectors.QUEUE_SORTS else "due"
    qs = selectors.queue_tickets(user=request.user, tab=tab, sort=sort)
    page = selectors.slice_page(qs, request.GET.get("page"), rows=selectors.ticket_list_base)
    counts = {t: selectors.capped_count(selectors.queue_tickets(user=request.user, tab=t)) for t in selectors.QUEUE_TABS}
    context = {"page": page, "tab": tab, "sort": sort, "counts": counts, "query_string": f"tab={tab}&sort={sort}",
               "now": timezone.now()}
    if request.htmx and request.htmx.target == "queue-rows":
        return render(request, "tickets/_ticket_rows.html", context)
    return render(request, "tickets/queue.html", context)


@perm_required("tickets.view_ticket")
def ticket_list(request):
    flt = TicketFilter(request.GET, queryset=selectors.ticket_list_base())
    page = selectors.slice_page(flt.qs, request.GET.get("page"), rows=selectors.ticket_list_base)
    params = request.GET.copy()
    params.pop("page", None)
    selectable = request.user.has_perm("tickets.work_ticket") or request.user.has_perm("tickets.tag_ticket")
    query = params.urlencode()
    context = {"filter": flt, "page": page, "query_string": query, "now": timezone.now(),
               "selectable": selectable}
    if not (request.htmx and request.htmx.target == "ticket-results"):
        context["views"] = selectors.saved_views_list(request.user)
        context["can_share_view"] = request.user.has_perm("tickets.reassign_ticket")
    if request.htmx and request.htmx.target == "ticket-results":
        return render(request, "tickets/_list_results.html", context)
    return render(request, "tickets/list.html", context)


# --- Detail and actions ----------------------------------------------------------------------------

def _actions(user, ticket, complaint):
    """What this user may do to this ticket now: the page offers these and only these."""
    work = user.has_perm("tickets.work_ticket")
    open_ = ticket.status not in (S.CLOSED, S.CANCELLED)
    allowed = services.allowed_transitions(ticket) if work else []
    a = {
        "reply": user.has_perm("tickets.reply_ticket") and ticket.status != S.CANCELLED,
        "status": bool([s for s in allowed if s != S.RESOLVED]),
        "allowed": allowed,
        "resolve": S.RESOLVED in allowed and (complaint is None or complaint.decided_at is not None),
        "take": work and open_ and ticket.assignee_id is None,
        "assign": work and open_ and (ticket.assignee_id in (None, user.pk) or user.has_perm("tickets.reassign_ticket")),
        "priority": work and open_,
        "edit": user.has_perm("tickets.change_ticket") and open_,
        "attach": user.has_perm("tickets.add_ticketattachment") and open_,
        # 首问责任制: the owner changes only by a supervisor's logged decision.
        "first_inquiry": user.has_perm("tickets.reassign_ticket") and open_,
        # Issue 19: tags classify closed tickets too (reports count them afterwards).
        "tags": user.has_perm("tickets.tag_ticket"),
        # Issue 19 item 7: links on any ticket; a merge takes an open ticket not merged before.
        "link": work,
        "unlink": work,
        "merge": user.has_perm("tickets.merge_ticket") and ticket.status in Ticket.OPEN_STATUSES
        and not ticket.merged_into_id,
    }
    if complaint is not None:
        a.update({
            "complaint_classify": work and open_,
            "complaint_investigate": work and open_,
            "complaint_decide": user.has_perm("tickets.approve_complaint") and open_
            and complaint.investigated_at is not None,
            "complaint_solution": work and open_ and complaint.decided_at is not None,
            "complaint_return_visit": work and open_ and complaint.solution_sent_at is not None,
        })
        # Issue 17: the department's head and members answer the open hand-off (accept, refuse, findings).
        handoff = _open_handoff(ticket, user)
        answer = open_ and handoff is not None and handoff.can_answer(user)
        pending = answer and handoff.state == ComplaintHandoff.State.PENDING
        a.update({"handoff_accept": pending, "handoff_refuse": pending, "handoff_findings": answer})
    return a


def _handoffs(ticket, user) -> list:
    """The complaint's hand-offs, oldest first (1 query, once per request)."""
    if not hasattr(ticket, "_handoffs"):
        ticket._handoffs = (selectors.complaint_handoffs(ticket=ticket, viewer=user)
                            if ticket.kind == Ticket.Kind.COMPLAINT else [])
    return ticket._handoffs


def _open_handoff(ticket, user):
    return next((h for h in _handoffs(ticket, user) if h.is_open), None)


def _ticket_access(view):
    """Staff who can see tickets, and the members of a department a complaint was handed to (issue 17:
    they open and answer it without seeing any other ticket). Anonymous → login; others → 403."""
    from functools import wraps

    from django.contrib.auth.views import redirect_to_login

    @wraps(view)
    def wrapped(request, pk, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.has_perm("tickets.view_ticket") and not selectors.department_member_can_open(
                user=request.user, ticket_id=pk):
            raise PermissionDenied
        return view(request, pk, *args, **kwargs)

    return wrapped


FORMS = {
    "reply": ReplyForm, "status": StatusForm, "assign": AssignForm, "priority": PriorityForm,
    "resolve": ResolveForm, "edit": EditForm, "attach": AttachForm,
    "complaint_classify": ComplaintClassifyForm, "complaint_investigate": ComplaintInvestigateForm,
    "complaint_decide": ComplaintDecideForm, "complaint_solution": ComplaintSolutionForm,
    "complaint_return_visit": ComplaintReturnVisitForm, "first_inquiry": FirstInquiryForm,
    "handoff_accept": HandoffAcceptForm, "handoff_refuse": HandoffRefuseForm, "handoff_findings": HandoffFindingsForm,
    "tags": TagsForm, "link": LinkForm, "unlink": UnlinkForm, "merge": MergeForm,
}


ACTION_META = {
    # name: (panel title, icon, button)
    "status": (gettext_lazy("Change status"), "bi-arrow-left-right", gettext_lazy("Change status")),
    "resolve": (pgettext_lazy("action", "Resolve"), "bi-check2-square", pgettext_lazy("action", "Resolve")),
    "assign": (pgettext_lazy("action", "Assign"), "bi-person-check", pgettext_lazy("action", "Assign")),
    "priority": (gettext_lazy("Priority"), "bi-flag", gettext_lazy("Change priority")),
    "complaint_classify": (gettext_lazy("Classify the complaint"), "bi-tags", gettext_lazy("Save")),
    "complaint_investigate": (gettext_lazy("Record the investigation"), "bi-search", gettext_lazy("Record")),
    "complaint_decide": (gettext_lazy("Supervisor's decision"), "bi-patch-check", gettext_lazy("Approve decision")),
    "complaint_solution": (gettext_lazy("Send the result to the customer"), "bi-envelope-check", gettext_lazy("Send")),
    "complaint_return_visit": (gettext_lazy("Return visit"), "bi-telephone-outbound", gettext_lazy("Record")),
    "edit": (gettext_lazy("Edit details"), "bi-pencil", gettext_lazy("Save")),
    "attach": (gettext_lazy("Attach files"), "bi-paperclip", gettext_lazy("Upload")),
    "reply": (gettext_lazy("Reply or add a note"), "bi-reply", gettext_lazy("Send")),
    "first_inquiry": (gettext_lazy("Change the first-inquiry owner"), "bi-person-badge", gettext_lazy("Save")),
    "tags": (gettext_lazy("Tags"), "bi-tags", gettext_lazy("Save tags")),
    "link": (gettext_lazy("Link a ticket"), "bi-link-45deg", gettext_lazy("Link")),
    "merge": (gettext_lazy("Merge into another ticket"), "bi-union", gettext_lazy("Merge")),
    "handoff_accept": (gettext_lazy("Accept for my department"), "bi-box-arrow-in-down",
                       gettext_lazy("Accept the complaint")),
    "handoff_refuse": (gettext_lazy("Refuse, with a reason"), "bi-arrow-return-left", gettext_lazy("Refuse")),
    "handoff_findings": (gettext_lazy("Report the department's findings"), "bi-journal-check",
                         gettext_lazy("Report findings")),
}
PANEL_ORDER = ["handoff_accept", "handoff_refuse", "handoff_findings", "status", "resolve", "assign", "priority", "tags", "complaint_classify", "complaint_investigate",
               "complaint_decide", "complaint_solution", "complaint_return_visit", "edit", "attach", "first_inquiry", "link", "merge"]


def _form_kwargs(name, ticket, actions, ctx):
    if name == "status":
        return {"allowed": actions["allowed"]}
    if name == "assign":
        return {"workers": ctx["workers"]}
    if name == "resolve":
        return {"kind": ticket.kind}
    if name == "edit":
        return {"customer": ticket.customer}
    if name == "complaint_classify":
        return {"staff": selectors.complaint_staff_choices()}
    if name == "first_inquiry":
        return {"staff": selectors.first_inquiry_candidates()}
    if name == "tags":
        return {"can_create": ctx["user"].has_perm("tickets.add_tag"), "current": list(ticket.tag_ids or ())}
    if name == "link":
        return {"ticket": ticket}
    if name == "merge":
        from . import merge

        candidates, more = merge.merge_candidates(ticket=ticket)
        return {"candidates": candidates, "more": more, "preview": _merge_preview_text(ticket)}
    return {}


def _merge_preview_text(ticket) -> str:
    """The dry run of a merge, in words: what would move from this ticket."""
    from . import merge

    counts = merge.merge_preview(ticket=ticket)
    clocks = _("SLA clocks: a target the other ticket has no clock for moves there; this ticket's other clocks "
               "stop with it (a breach stays a breach).")
    if not counts:
        return _("Nothing is attached to this ticket yet: only its number remains, pointing to the other one.") + " " + clocks
    return _("Moves: %(what)s.") % {"what": ", ".join(f"{n} × {label}" for label, n in counts.items())} + " " + clocks


def _initial(name, ticket, complaint):
    base = {"version": ticket.version}
    if name in ("reply", "complaint_solution"):
        base["client_token"] = uuid.uuid4().hex
    if name == "priority":
        base["priority"] = ticket.priority
    if name == "edit":
        base.update(kind=ticket.kind, subject=ticket.subject, description=ticket.description,
                    channel=ticket.channel, asset=ticket.asset_id)
    if name == "assign":
        base["assignee"] = ticket.assignee_id
    if name == "first_inquiry":
        base["owner"] = ticket.first_inquiry_owner_id
    if name == "tags":
        base["tags"] = list(ticket.tag_ids or ())
    if name.startswith("handoff_"):
        handoff = _open_handoff(ticket, None)
        base["handoff"] = handoff.pk if handoff else None
    if name == "complaint_classify" and complaint:
        base.update(category=complaint.category, department=complaint.department_id,
                    staff_member=complaint.staff_member_id)
    if name == "complaint_investigate" and complaint:
        base.update(findings=complaint.findings, department=complaint.department_id)
    if name == "complaint_decide" and complaint:
        base.update(decision=complaint.decision, remedy=complaint.remedy, department=complaint.department_id)
    return base


def _render_detail(request, ticket, bound=None, status=200):
    """The ticket page. Action forms other than the one being corrected are fetched by htmx when
    their panel is opened (hx-trigger "intersect once"): the page stays fast and its query count fixed.
    """
    complaint = getattr(ticket, "complaint", None) if ticket.kind == Ticket.Kind.COMPLAINT else None
    actions = _actions(request.user, ticket, complaint)
    timeline, users = selectors.ticket_timeline(ticket)
    panels = [(name, *ACTION_META[name]) for name in PANEL_ORDER if actions.get(name)]
    reply_form = None
    if actions.get("reply"):
        reply_form = bound[1] if bound and bound[0] == "reply" else ReplyForm(
            initial=_initial("reply", ticket, complaint), prefix="reply")
    # A reply sent with a canned reply came back with an error: its chip names it again (one read, on
    # this path only).
    chosen_macro = ""
    if bound and bound[0] == "reply" and id_param(bound[1].data.get("reply-macro")):
        from macros.selectors import macros_for

        chosen_macro = (macros_for(request.user).filter(pk=id_param(bound[1].data.get("reply-macro")))
                        .values_list("name", flat=True).first() or "")
    today = timezone.localdate()
    from customers.privacy import record_view

    record_view(user=request.user, customer_id=ticket.customer_id, place="ticket_page", ref=ticket.number)
    return render(request, "tickets/detail.html", {
        "ticket": ticket, "complaint": complaint, "actions": actions, "panels": panels,
        "bound_name": bound[0] if bound else "", "bound_form": bound[1] if bound else None,
        "reply_form": reply_form,
        "timeline": timeline, "timeline_users": users, "attachments": selectors.ticket_attachments(ticket),
        "asset_in_warranty": ticket.asset.in_warranty(today) if ticket.asset_id else None,
        "handoffs": _handoffs(ticket, request.user) if complaint is not None else [],
        "tags": selectors.tags_of(ticket),
        "links": selectors.ticket_links(ticket),
        "chosen_macro": chosen_macro,
        # The newest reply this page shows: the heartbeat warns of any reply after it (collision warning).
        "last_reply_id": max((e[2] for e in timeline if e[0] == "reply"), default=0),
    }, status=status)


def _page_ticket(pk):
    return Ticket.objects.select_related(
        "customer", "customer__region", "asset", "assignee", "team", "created_by", "fault_cause",
        "complaint", "complaint__department", "complaint__decided_by", "complaint__investigated_by",
        "complaint__staff_member", "complaint__return_visit_by", "first_inquiry_owner", "merged_into",
    ).prefetch_related("customer__phones").filter(pk=pk)


def _load(pk):
    """The ticket with everything its page and actions read, or 404. Its 15 joins cost the ORM ~1 ms to
    compile: the SQL is compiled once per process (servicedesk.compiled)."""
    ticket = compiled_one("tickets.page_ticket", _page_ticket, pk)
    if ticket is None:
        raise Http404
    return ticket


@_ticket_access
def ticket_detail(request, pk):
    return _render_detail(request, _load(pk))


def _delivery_message(reply, *, result: bool = False) -> str:
    """Say what actually happened to a message for the customer (issue 11 §5): queued, and how — or not."""
    if reply.delivery_status == reply.Delivery.NO_EMAIL:
        return _("Saved. Not sent: this customer has no e-mail address or mobile number for messages.")
    params = {"to": reply.delivered_to}
    if reply.delivery_channel == "sms":
        return (_("Result saved and queued to be sent to the customer by SMS (%(to)s).") if result
                else _("Reply saved and queued to be sent to the customer by SMS (%(to)s).")) % params
    return (_("Result saved and queued to be sent to the customer by e-mail (%(to)s).") if result
            else _("Reply saved and queued to be sent to the customer by e-mail (%(to)s).")) % params


def _do(name, ticket, request, form):
    d = form.cleaned_data
    user = request.user
    v = d["version"]
    if name == "reply" and d.get("macro"):
        return _apply_macro(ticket, user, d)
    if name == "reply":
        reply = services.ticket_reply(ticket=ticket, author=user, body=d["body"], public=d["public"],
                                      client_token=d.get("client_token"), expected_version=v)
        return _delivery_message(reply) if d["public"] else _("Internal note added.")
    if name == "status":
        services.ticket_transition(ticket=ticket, to_status=d["to_status"], actor=user, reason=d["reason"],
                                   expected_version=v)
        return _("Status changed to “%(status)s”.") % {"status": S(d["to_status"]).label}
    if name == "assign":
        services.ticket_assign(ticket=ticket, assignee=d["assignee"], actor=user, reason=d["reason"],
                               expected_version=v)
        return _("Ticket assigned to %(name)s.") % {"name": d["assignee"].get_full_name() or d["assignee"].username}
    if name == "priority":
        services.ticket_set_priority(ticket=ticket, priority=d["priority"], actor=user, reason=d["reason"],
                                     expected_version=v)
        return _("Priority changed.")
    if name == "resolve":
        services.ticket_resolve(ticket=ticket, actor=user, fault_cause=d["fault_cause"], solution=d["solution"],
                                expected_version=v)
        return _("Ticket resolved.")
    if name == "edit":
        with transaction.atomic():
            ticket = services.ticket_update(ticket=ticket, actor=user, expected_version=v, subject=d["subject"],
                                            description=d["description"], channel=d["channel"], asset=d["asset"])
            services.ticket_change_kind(ticket=ticket, kind=d["kind"], actor=user)
        return _("Ticket details saved.")
    if name == "attach":
        for f, content_type in d["attachments"]:
            services.attachment_add(ticket=ticket, uploaded_by=user, file=f, content_type=content_type)
        return _("Files attached.")
    if name == "complaint_classify":
        services.complaint_update(ticket=ticket, actor=user, category=d["category"], department=d["department"],
                                  staff_member=d["staff_member"], expected_version=v)
        return _("Complaint details saved.")
    if name == "complaint_investigate":
        services.complaint_record_investigation(ticket=ticket, actor=user, findings=d["findings"],
                                                department=d["department"], expected_version=v)
        return _("Investigation recorded.")
    if name == "complaint_decide":
        services.complaint_decide(ticket=ticket, actor=user, decision=d["decision"], remedy=d["remedy"],
                                  department=d["department"], staff_complaint_valid=d["staff_complaint_valid"],
                                  expected_version=v)
        return _("Decision recorded.")
    if name == "complaint_solution":
        reply = services.complaint_send_solution(ticket=ticket, actor=user, body=d["body"],
                                                 client_token=d.get("client_token"), expected_version=v)
        return _delivery_message(reply, result=True)
    if name == "complaint_return_visit":
        services.complaint_record_return_visit(ticket=ticket, actor=user, outcome=d["outcome"], notes=d["notes"],
                                               expected_version=v)
        return _("Return visit recorded.")
    if name == "first_inquiry":
        if d["owner"].pk == ticket.first_inquiry_owner_id:
            return _("No change: %(name)s already owns the first inquiry.") % {
                "name": d["owner"].get_full_name() or d["owner"].username}
        services.ticket_change_first_inquiry_owner(ticket=ticket, owner=d["owner"], actor=user, reason=d["reason"],
                                                   expected_version=v)
        return _("First-inquiry owner changed to %(name)s.") % {"name": d["owner"].get_full_name() or d["owner"].username}
    if name == "tags":
        added, removed = services.ticket_set_tags(ticket=ticket, tags=d["tags"], new_names=d.get("new_tags") or [],
                                                  actor=user)
        if not added and not removed:
            return _("Tags unchanged.")
        return _("Tags saved: %(changes)s.") % {
            "changes": ", ".join([f"+{t.name}" for t in added] + [f"−{t.name}" for t in removed])}
    if name == "link":
        from . import merge

        merge.ticket_link(ticket=ticket, other=form.other, role=d["role"], actor=user)
        return _("Linked to %(number)s.") % {"number": form.other.number}
    if name == "unlink":
        from . import merge

        other = merge.ticket_unlink(ticket=ticket, link_id=d["link"], actor=user)
        return _("Link to %(number)s removed.") % {"number": other.number}
    if name == "merge":
        from . import merge

        survivor = Ticket.objects.get(pk=d["into"])
        summary = merge.ticket_merge(survivor=survivor, duplicate=ticket, actor=user, expected_version=v)
        moved = ", ".join(f"{n} × {label}" for label, n in summary["moved"].items()) or _("nothing")
        msg = _("%(dup)s merged into %(survivor)s and cancelled. Moved: %(moved)s.") % {
            "dup": ticket.number, "survivor": survivor.number, "moved": moved}
        if summary["kept"]:
            msg += " " + _("Kept on %(dup)s (the other ticket has its own): %(kept)s.") % {
                "dup": ticket.number, "kept": ", ".join(f"{n} × {label}" for label, n in summary["kept"].items())}
        return msg, survivor.pk
    if name.startswith("handoff_"):
        handoff = _open_handoff(ticket, user)
        if handoff is None or handoff.pk != d["handoff"]:
            raise services.StaleTicket(_("This hand-off changed while you were looking at it (the supervisor named "
                                         "another department, or a colleague answered it). Nothing was saved."),
                                       code="stale")
        if name == "handoff_accept":
            services.complaint_handoff_accept(handoff=handoff, actor=user, expected_version=v)
            return _("You accepted the complaint for %(department)s.") % {"department": handoff.department.display_name}
        if name == "handoff_refuse":
            services.complaint_handoff_refuse(handoff=handoff, actor=user, reason=d["reason"], expected_version=v)
            return _("Complaint refused for %(department)s; it is back with the supervisor.") % {
                "department": handoff.department.display_name}
        services.complaint_handoff_report_findings(handoff=handoff, actor=user, findings=d["findings"],
                                                   expected_version=v)
        return _("Findings reported; the supervisor has been told.")
    raise AssertionError(name)


def _apply_macro(ticket, user, d) -> str:
    """Send the reply box with the canned reply / macro chosen in it (issue 19): the text as edited, then
    the macro's actions, in one transaction (macros.services.macro_apply). Says what was done."""
    from macros import selectors as macro_selectors, services as macro_services

    macro = macro_selectors.macros_for(user).filter(pk=d["macro"]).first()
    if macro is None:
        raise ValidationError(_("This canned reply is no longer available to you. Nothing was sent."),
                              code="macro_gone")
    done = macro_services.macro_apply(ticket=ticket, macro=macro, actor=user, body=d["body"], public=d["public"],
                                      client_token=d.get("client_token"), expected_version=d["version"])
    parts = []
    if done["reply"] is not None:
        parts.append(_delivery_message(done["reply"]) if done["reply"].public else _("Internal note added."))
    applied = []
    if done["status"]:
        applied.append(_("status → %(s)s") % {"s": S(done["status"]).label})
    if done["priority"] is not None:  # 0 is urgent
        applied.append(_("priority → %(p)s") % {"p": Ticket.Priority(done["priority"]).label})
    if done["assignee"] is not None:
        applied.append(_("assigned to %(name)s") % {"name": done["assignee"].get_full_name()
                                                    or done["assignee"].get_username()})
    applied += [f"+{name}" for name in done["tags"]]
    if applied:
        parts.append(_("Macro “%(name)s” applied: %(changes)s.") % {"name": macro.name, "changes": ", ".join(applied)})
    elif done["reply"] is None:
        parts.append(_("Macro “%(name)s”: nothing to change, the ticket already matched it.") % {"name": macro.name})
    return " ".join(parts)


@_ticket_access
def ticket_action(request, pk, action):
    """One endpoint per action of the page; refused (403) when the page would not have offered it.

    GET returns the action's form (a fragment the page loads when its panel opens); POST does it.
    """
    if action not in FORMS and action != "take":
        raise PermissionDenied
    if request.method not in ("GET", "POST") or (request.method == "GET" and action == "take"):
        return HttpResponseNotAllowed(["POST"])
    ticket = _load(pk)
    complaint = getattr(ticket, "complaint", None) if ticket.kind == Ticket.Kind.COMPLAINT else None
    actions = _actions(request.user, ticket, complaint)
    if not actions.get(action):
        raise PermissionDenied
    if request.method == "GET":
        ctx = {"workers": selectors.ticket_workers(), "user": request.user}
        form = FORMS[action](initial=_initial(action, ticket, complaint), prefix=action,
                             **_form_kwargs(action, ticket, actions, ctx))
        return render(request, "tickets/_action_form_body.html", {
            "ticket": ticket, "name": action, "form": form, "button": ACTION_META[action][2]})
    if action == "take":
        try:
            services.ticket_assign(ticket=ticket, assignee=request.user, actor=request.user,
                                   expected_version=_int_or_none(request.POST.get("version")))
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
        else:
            messages.success(request, _("You took this ticket."))
        return redirect("tickets:detail", pk=ticket.pk)
    ctx = {"workers": selectors.ticket_workers(), "user": request.user}
    form = FORMS[action](request.POST, request.FILES, prefix=action, **_form_kwargs(action, ticket, actions, ctx))
    if form.is_valid():
        try:
            msg = _do(action, ticket, request, form)
        except services.StaleTicket as e:
            form.add_error(None, e)
            # Keep what they typed, but against the current version: sending again is a conscious choice.
            data = request.POST.copy()
            data[f"{action}-version"] = Ticket.objects.values_list("version", flat=True).get(pk=ticket.pk)
            form.data = data
            return _render_detail(request, _load(pk), bound=(action, form), status=409)
        except ValidationError as e:
            form.add_error(None, e)
        else:
            go_to = ticket.pk
            if isinstance(msg, tuple):  # a merge goes on to the ticket that survives
                msg, go_to = msg
            messages.success(request, msg)
            return redirect("tickets:detail", pk=go_to)
    return _render_detail(request, _load(pk), bound=(action, form), status=400)


@_ticket_access  # the department a complaint was handed to reads its evidence too
def attachment_download(request, pk, attachment_id):
    """Attachments are customer data: served only through this permission-checked view, never MEDIA_URL."""
    from django.http import FileResponse, Http404

    from .models import TicketAttachment

    att = get_object_or_404(TicketAttachment, pk=attachment_id, ticket_id=pk)
    try:
        handle = att.file.open("rb")
    except FileNotFoundError:
        raise Http404
    response = FileResponse(handle, as_attachment=not att.content_type.startswith("image/"),
                            filename=att.original_name, content_type=att.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Complaint register ----------------------------------------------------------------------------

def _register_qs(request):
    qs = selectors.complaint_register()
    cat = request.GET.get("category")
    if cat in Complaint.Category.values:
        qs = qs.filter(category=cat)
    stage = request.GET.get("stage")
    if stage in Complaint.Stage.values:
        qs = qs.filter(stage=stage)
    state = request.GET.get("state")
    if state == "open":
        qs = qs.filter(ticket__status__in=Ticket.OPEN_STATUSES)
    elif state == "closed":
        qs = qs.filter(ticket__status__in=(S.RESOLVED, S.CLOSED, S.CANCELLED))
    q = (request.GET.get("q") or "").strip()[:100]
    if q:
        qs = qs.filter(Q(ticket__number__icontains=q) | Q(ticket__subject__icontains=q)
                       | Q(ticket__customer__name__icontains=q))
    return qs


@perm_required("tickets.view_complaint_register")
def complaint_register(request):
    page = selectors.slice_page(_register_qs(request), request.GET.get("page"), per_page=30)
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "tickets/complaints.html", {
        "page": page, "query_string": params.urlencode(), "categories": Complaint.Category.choices,
        "stages": Complaint.Stage.choices, "current": request.GET,
    })


REFUSED_SHOWN = 100  # oldest first: the refusals waiting longest are the ones shown


@perm_required("tickets.approve_complaint")
def complaints_awaiting_decision(request):
    """Supervisors: the complaints whose investigation is done and that wait for their decision."""
    page = selectors.slice_page(selectors.complaints_awaiting_decision(user=request.user), request.GET.get("page"),
                                per_page=30)
    refused = list(selectors.complaints_refused_by_departments(user=request.user)[:REFUSED_SHOWN + 1])
    return render(request, "tickets/complaints_awaiting.html", {"page": page, "query_string": "", "now": timezone.now(),
                                                                "refused": refused[:REFUSED_SHOWN],
                                                                "refused_more": len(refused) > REFUSED_SHOWN,
                                                                "refused_shown": REFUSED_SHOWN})


@perm_required("tickets.view_complaint_register", "tickets.export_complaints")
def complaint_register_csv(request, fmt="csv"):
    """The register as a file (CSV streamed, or Excel), with the register's filters — servicedesk.exports."""
    def person(user):
        return (user.get_full_name() or user.username) if user else ""

    rows = ([
        t.number, t.created_at, t.customer.name, t.subject, c.get_category_display(),
        str(c.department) if c.department else "", c.get_stage_display(), t.get_status_display(), c.investigated_at,
        c.decision, c.get_remedy_display(), person(c.decided_by), c.solution_sent_at, c.return_visit_at,
        c.get_return_visit_outcome_display(), person(c.staff_member), c.staff_complaint_valid,
    ] for c in _register_qs(request).iterator(chunk_size=500) for t in [c.ticket])
    table = exports.Table(
        title=_("Complaint register"),
        headers=[_("Number"), pgettext("date", "Opened"), _("Customer"), _("Subject"), pgettext("complaint", "Category"),
                 _("Responsible department"), _("Stage"), _("Status"), _("Investigated"), _("Decision"), _("Remedy"),
                 _("Decided by"), _("Result sent"), _("Return visit"), _("Return visit outcome"),
                 pgettext("complaint", "Staff member"), _("Valid against staff")],
        rows=rows,
    )
    cat, state = request.GET.get("category"), request.GET.get("state")
    q = (request.GET.get("q") or "").strip()[:30]
    parts = [
        (cat, exports.choice_label(Complaint.Category.choices, cat)) if cat in Complaint.Category.values else ("", ""),
        {"open": ("open", pgettext("ticket filter", "Open")), "closed": ("closed", _("Resolved or closed"))}.get(state, ("", "")),
        ("search", q) if q else ("", ""),
        exports.period_part(timezone.localdate()),
    ]
    name = exports.FileName.build(title=_("Complaint register"), slug="complaints", parts=parts, ext=fmt)
    return exports.response(table=table, fmt=exports.requested_format(fmt), filename=name)


# --- Issue 17: my department's complaints ---------------------------------------------------------

@login_required
def department_complaints(request):
    """The complaints handed to the departments the user is head or member of, hand-offs still awaiting
    acceptance first. Supervisors and managers (approve_complaint) see every department's. Any signed-in
    staff member may open it: it lists only what their departments were handed."""
    see_all = request.user.has_perm("tickets.approve_complaint")
    departments = selectors.departments_of(user=request.user, all_departments=see_all)
    chosen = id_param(request.GET.get("department"))
    if chosen is not None and chosen not in {d.pk for d in departments}:
        chosen = None
    state = request.GET.get("state") if request.GET.get("state") in ComplaintHandoff.State.values else ""
    qs = selectors.department_handoffs(departments=[chosen] if chosen else [d.pk for d in departments], state=state)
    page = selectors.slice_page(qs, request.GET.get("page"), per_page=30)
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "tickets/department_complaints.html", {
        "page": page, "departments": departments, "chosen": chosen, "state": state, "see_all": see_all,
        "states": ComplaintHandoff.State.choices, "query_string": params.urlencode(), "now": timezone.now(),
    })


# --- Tags (issue 19 item 4) ---------------------------------------------------------------------------
@perm_required("tickets.view_ticket")
def tag_list(request):
    """Each tag with its tickets open now and opened in the last 30 days (links into the list); managers
    add, rename, recolour and retire tags here."""
    from .forms import TagEditForm
    from .models import Tag

    can_manage = request.user.has_perm("tickets.change_tag")
    form = None
    if can_manage:
        edit = None
        if request.GET.get("edit"):
            edit_pk = id_param(request.GET.get("edit"))
            if edit_pk is None:
                raise Http404
            edit = get_object_or_404(Tag, pk=edit_pk)
        form = TagEditForm(request.POST or None, instance=edit)
        if request.method == "POST":
            if form.is_valid():
                try:
                    tag = services.tag_save(tag=form.save(commit=False), actor=request.user)
                except ValidationError as e:
                    form.add_error(None, e)
                else:
                    messages.success(request, _("Tag “%(name)s” saved.") % {"name": tag.name})
                    return redirect("tickets:tags")
    elif request.method == "POST":
        raise PermissionDenied
    return render(request, "tickets/tags.html", {
        "tags": selectors.tag_counts(now=timezone.now()), "form": form, "can_manage": can_manage,
    }, status=400 if form is not None and form.is_bound else 200)


# --- Collision warning (issue 19 item 6) ------------------------------------------------------------
@_ticket_access
@require_POST
def ticket_presence(request, pk):
    """The ticket page's heartbeat (htmx, every 5 s): who else is here and writing, and whether a reply
    arrived since this page was loaded — then sending asks first (the form's data-confirm)."""
    from .presence import presence_touch

    state = request.POST.get("state", "viewing")
    others = presence_touch(ticket_id=pk, user=request.user, state=state)
    if state == "leave":
        return HttpResponse(status=204)
    seen = id_param(request.POST.get("seen")) or 0
    newer = (TicketReply.objects.filter(ticket_id=pk, id__gt=seen).exclude(author=request.user)
             .select_related("author").order_by("-id").first())
    return render(request, "tickets/_presence.html", {"others": others, "newer": newer, "ticket_pk": pk})


# --- Bulk changes (issue 19 item 2) ------------------------------------------------------------------
def _bulk_choices(user) -> list[tuple[str, list[tuple[str, str]]]]:
    """The bulk bar's "what to do", grouped; only what this person may do."""
    from .selectors import TAGS

    groups = []
    if user.has_perm("tickets.work_ticket"):
        groups.append((_("Assign to"), [(f"assign:{u.pk}", u.get_full_name() or u.username)
                                        for u in selectors.ticket_workers()]))
        groups.append((_("Status"), [(f"status:{v}", label) for v, label in Ticket.Status.choices
                                     if v not in (S.NEW, S.REOPENED)]))
        groups.append((_("Priority"), [(f"priority:{v}", label) for v, label in Ticket.Priority.choices]))
    if user.has_perm("tickets.tag_ticket"):
        groups.append((_("Add a tag"), [(f"tag:{pk}", name) for pk, name, _c, active in TAGS.get() if active]))
    if user.has_perm("tickets.work_ticket"):
        from macros.selectors import macros_for

        groups.append((_("Apply a macro"), [(f"macro:{m.pk}", m.name) for m in macros_for(user).order_by("name")]))
    return [(label, options) for label, options in groups if options]


@perm_required("tickets.view_ticket")
def ticket_bulk_bar(request):
    """The list's bulk bar (htmx, loaded when the first ticket is ticked or the button pressed)."""
    if not (request.user.has_perm("tickets.work_ticket") or request.user.has_perm("tickets.tag_ticket")):
        raise PermissionDenied
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "tickets/_bulk_bar.html", {"choices": _bulk_choices(request.user),
                                                      "query": query.urlencode()})


@require_POST
@perm_required("tickets.view_ticket")
def ticket_bulk(request):
    """Start a bulk change: the ticked tickets, or every ticket matching the list's filter."""
    from django.http import QueryDict

    from . import bulk

    query = request.POST.get("query", "")
    back = reverse("tickets:list") + (f"?{query}" if query else "")
    kind, _sep, value = request.POST.get("action", "").partition(":")
    params = {{"assign": "assignee", "status": "status", "priority": "priority", "tag": "tag",
               "macro": "macro"}.get(kind, "value"): value, "reason": request.POST.get("reason", "")}
    if request.POST.get("scope") == "all":
        flt = TicketFilter(QueryDict(query), queryset=selectors.ticket_list_base())
        if not flt.is_valid():  # a broken filter is not "no filter": never widen a bulk change by mistake
            messages.error(request, _("The list's filter has errors: correct it, then choose the tickets again. "
                                      "Nothing was changed."))
            return redirect(back)
        ids = list(flt.qs.values_list("pk", flat=True)[:bulk.MAX_TICKETS + 1])
    else:
        ids = [i for i in (id_param(v) for v in request.POST.getlist("ids")) if i]
    try:
        job = bulk.bulk_start(actor=request.user, kind=kind, params=params, ticket_ids=ids)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return redirect(back)
    return redirect(reverse("tickets:bulk_detail", args=[job.pk]) + (f"?back={quote(back)}"))


def _bulk_for(request, pk):
    from .models import BulkAction

    job = get_object_or_404(BulkAction.objects.select_related("actor", "undo_of"), pk=pk)
    if job.actor_id != request.user.pk and not request.user.has_perm("tickets.reassign_ticket"):
        raise PermissionDenied
    return job


@perm_required("tickets.view_ticket")
def ticket_bulk_detail(request, pk):
    """A bulk change: progress while it runs, then what changed and what was refused, with Undo."""
    from .models import BulkAction

    job = _bulk_for(request, pk)
    refused_ids = [r["id"] for r in job.refused]
    context = {"job": job, "back": next_url(request, request.GET.get("back"), "tickets:list"),
               "percent": int(100 * job.position / job.total) if job.total else 100,
               "undone_by": BulkAction.objects.filter(undo_of=job).first(),
               "can_undo": (job.state == BulkAction.State.DONE and not job.undo_of_id and job.kind != "macro"
                            and bool(job.changed)),
               "refused": job.refused, "refused_ids": refused_ids}
    if request.htmx and request.htmx.target == "bulk-progress":
        return render(request, "tickets/_bulk_progress.html", context)
    return render(request, "tickets/bulk_detail.html", context)


@require_POST
@perm_required("tickets.view_ticket")
def ticket_bulk_undo(request, pk):
    from . import bulk

    job = _bulk_for(request, pk)
    try:
        undo = bulk.bulk_undo(bulk=job, actor=request.user)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return redirect("tickets:bulk_detail", pk=job.pk)
    return redirect("tickets:bulk_detail", pk=undo.pk)


# --- Saved views (issue 19 item 3) --------------------------------------------------------------------
def _my_team(user):
    """The team a supervisor shares views with: the one they supervise, else the one they are in."""
    from servicedesk.models import Team

    team = Team.objects.filter(supervisor=user.pk).order_by("pk").first()
    if team is None:
        profile = getattr(user, "profile", None)
        team = getattr(profile, "team", None) if profile is not None else None
    return team


@perm_required("tickets.view_ticket")
def saved_view_counts(request):
    """The tabs' counts (htmx, after the page): capped, swapped into each tab out of band."""
    views = list(selectors.saved_views_for(request.user))
    return render(request, "tickets/_view_counts.html", {"counts": selectors.saved_view_counts(views).items()})


@require_POST
@perm_required("tickets.view_ticket")
def saved_view_save(request):
    from django.http import QueryDict

    from .models import SavedView

    name = " ".join(request.POST.get("name", "").split())[:60]
    query = QueryDict(request.POST.get("query", ""), mutable=True)
    query.pop("page", None)
    back = reverse("tickets:list") + (f"?{query.urlencode()}" if query else "")
    if not name:
        messages.error(request, _("Give the view a name."))
        return redirect(back)
    team = None
    if request.POST.get("share") == "1":
        if not request.user.has_perm("tickets.reassign_ticket"):
            raise PermissionDenied
        team = _my_team(request.user)
        if team is None:
            messages.error(request, _("You lead no team and are in none: nothing to share the view with."))
            return redirect(back)
    if team is None and SavedView.objects.filter(owner=request.user).count() >= selectors.VIEWS_PER_PERSON:
        messages.error(request, _("You have %(n)d saved views already: delete one first.") % {
            "n": selectors.VIEWS_PER_PERSON})
        return redirect(back)
    SavedView.objects.create(name=name, owner=None if team else request.user, team=team,
                             query=query.urlencode()[:1000], created_by=request.user, created_at=timezone.now())
    messages.success(request, (_("View “%(name)s” saved for %(team)s.") % {"name": name, "team": team.display_name})
                     if team else _("View “%(name)s” saved.") % {"name": name})
    return redirect(back)


@require_POST
@perm_required("tickets.view_ticket")
def saved_view_delete(request, pk):
    from .models import SavedView

    view = get_object_or_404(selectors.saved_views_for(request.user), pk=pk)
    if view.owner_id != request.user.pk and not request.user.has_perm("tickets.reassign_ticket"):
        raise PermissionDenied
    SavedView.objects.filter(pk=view.pk).delete()
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return redirect("tickets:list")
