"""Pages of lost and invalid leads. Access: staff who handle requests record (leads.record_lead); their team
supervisor or a manager confirms (leads.confirm_lead); supervisors and managers read the loss analysis."""
from datetime import datetime, time, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from reports import charts
from servicedesk import exports
from servicedesk.permissions import perm_required
from tickets.models import Ticket
from tickets.selectors import slice_page

from . import selectors, services
from .forms import REASON_CHOICES, AnalysisFilterForm, LeadRecordForm, LeadResubmitForm, LeadReturnForm
from .models import LeadOutcome


def _errors(form, exc: ValidationError):
    for message in exc.messages:
        form.add_error(None, message)


@perm_required("leads.record_lead")
def open_requests(request):
    """The picker: my open inquiries and repair requests (a supervisor or manager may see everyone's)."""
    can_all = request.user.has_perm("leads.confirm_lead")
    mine = not can_all or request.GET.get("all") != "1"
    number = (request.GET.get("number") or "")[:20]
    qs = selectors.open_requests(user=request.user, mine=mine, number=number)
    page = slice_page(qs, request.GET.get("page"), per_page=25, rows=selectors.open_request_rows)
    query = urlencode({k: v for k, v in (("all", "" if mine else "1"), ("number", number)) if v})
    return render(request, "leads/open_requests.html", {
        "page": page, "mine": mine, "can_all": can_all, "number": number, "query_string": query,
        "returned": list(selectors.mine_returned(user=request.user)[:50]),
    })


@perm_required("leads.record_lead")
def record(request, ticket_id):
    ticket = get_object_or_404(Ticket.objects.select_related("customer", "asset"), pk=ticket_id)
    if not services.can_record(user=request.user, ticket=ticket):
        raise Http404
    form = LeadRecordForm(request.POST or None,
                          initial={"product": ticket.asset.product if ticket.asset_id else ""})
    if request.method == "POST" and form.is_valid():
        try:
            services.lead_record(ticket=ticket, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("Ticket %(number)s is recorded as %(outcome)s and waits for the manager's "
                                        "confirmation.") % {"number": ticket.number,
                                                            "outcome": LeadOutcome.Outcome(form.cleaned_data["outcome"]).label})
            return redirect("leads:open_requests")
    form.fields["reason"].choices = REASON_CHOICES
    return render(request, "leads/record.html", {"form": form, "ticket": ticket})


@perm_required("leads.record_lead")
def resubmit(request, pk):
    outcome = get_object_or_404(LeadOutcome.objects.select_related("ticket"), pk=pk, recorded_by=request.user)
    form = LeadResubmitForm(request.POST or None, outcome=outcome.outcome,
                            initial={"reason": outcome.reason, "customer_words": outcome.customer_words,
                                     "product": outcome.product})
    if request.method == "POST" and form.is_valid():
        try:
            services.lead_resubmit(outcome=outcome, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("Corrected and sent for confirmation again."))
            return redirect("leads:open_requests")
    return render(request, "leads/resubmit.html", {"form": form, "outcome": outcome})


@perm_required("leads.confirm_lead")
def to_confirm(request):
    page = slice_page(selectors.to_confirm(user=request.user), request.GET.get("page"), per_page=25)
    return render(request, "leads/to_confirm.html", {"page": page, "return_form": LeadReturnForm()})


def _pending_for(request, pk) -> LeadOutcome:
    outcome = get_object_or_404(LeadOutcome.objects.select_related("ticket", "recorded_by"), pk=pk)
    if not services.can_confirm(user=request.user, outcome=outcome):
        raise Http404
    return outcome


@require_POST
@perm_required("leads.confirm_lead")
def confirm(request, pk):
    outcome = _pending_for(request, pk)
    try:
        services.lead_confirm(outcome=outcome, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Ticket %(number)s: the outcome is confirmed and now counts.")
                         % {"number": outcome.ticket.number})
    return redirect("leads:to_confirm")


@perm_required("leads.confirm_lead")
def send_back(request, pk):
    outcome = _pending_for(request, pk)
    form = LeadReturnForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.lead_return(outcome=outcome, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("Ticket %(number)s: the outcome is sent back to %(person)s.")
                             % {"number": outcome.ticket.number, "person": outcome.recorded_by})
            return redirect("leads:to_confirm")
    return render(request, "leads/send_back.html", {"form": form, "outcome": outcome})


def _month_start(d, tz):
    return timezone.make_aware(datetime.combine(d.replace(day=1), time.min), tz)


def _next_month(d):
    return (d.replace(day=1) + timedelta(days=32)).replace(day=1)


@perm_required("leads.view_loss_analysis")
def analysis(request):
    """Confirmed outcomes only, by reason, staff, product and month (month of the second confirmation)."""
    tz = timezone.get_current_timezone()
    form = AnalysisFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    start, end = data.get("start"), data.get("end")
    qs = selectors.confirmed(start=_month_start(start, tz) if start else None,
                             end=_month_start(_next_month(end), tz) if end else None,
                             outcome=data.get("outcome") or "", reason=data.get("reason") or "",
                             staff_id=data["staff"].pk if data.get("staff") else None, product=data.get("product") or "")
    result = selectors.loss_analysis(qs, tz=tz)
    fmt = request.GET.get("fmt")
    if fmt in ("csv", "xlsx"):
        rows = ([[_("Reason"), f"{r['outcome']} · {r['reason']}", r["count"]] for r in result["by_reason"]]
                + [[_("Staff"), r["name"], r["count"]] for r in result["by_staff"]]
                + [[_("Product"), r["product"] or "—", r["count"]] for r in result["by_product"]]
                + [[_("Month"), r["month"].strftime("%Y-%m"), r["count"]] for r in result["by_month"]])
        table = exports.Table(title=_("Loss analysis"), headers=[_("By"), _("Value"), _("Confirmed")], rows=rows)
        name = exports.FileName.build(title=_("Loss analysis"), slug="loss-analysis", ext=fmt)
        return exports.response(table=table, fmt=exports.requested_format(fmt), filename=name)
    chart = None
    if result["by_reason"]:
        chart = charts._bar([f"{r['outcome']} · {r['reason']}" for r in result["by_reason"]],
                            [(_("Confirmed"), [r["count"] for r in result["by_reason"]])], horizontal=True,
                            counts=True)
    query = request.GET.copy()
    query.pop("fmt", None)
    return render(request, "leads/analysis.html", {"form": form, "result": result, "chart": chart,
                                                   "export_query": query.urlencode()})
