from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicedesk import exports
from servicedesk.params import id_param
from servicedesk.permissions import perm_required

from . import charts, selectors, services
from .forms import ExportForm, SubscriptionForm, period_from_request
from .models import ReportExport, ReportSubscription
from .periods import Period, period_containing


def _context(request, period: Period, team):
    params = period.as_params()
    if team is not None:
        params["team"] = team.pk
    data = selectors.report(period=period, team=team)
    return {
        "charts": charts.build(data),
        "period": period,
        "previous": period.previous(),
        "team": team,
        "data": data,
        "sections": selectors.SECTIONS,
        "export_params": params,
        "export_query": _query(period, team),
    }


@perm_required("reports.view_reports")
def index(request):
    form, period, team = period_from_request(request)
    ctx = {**_context(request, period, team), "form": form,
           "prev_query": _query(period.previous(), team), "next_query": _query(period.next(), team)}
    if request.htmx:
        return render(request, "reports/_report.html", ctx)
    return render(request, "reports/index.html", ctx)


def _query(period: Period, team) -> str:
    from urllib.parse import urlencode

    params = period.as_params()
    if team is not None:
        params["team"] = team.pk
    return urlencode(params)


@perm_required("reports.view_reports")
def print_month(request):
    """The monthly report a manager hands out: every section, page breaks, print stylesheet."""
    form, period, team = period_from_request(request)
    if period.kind != "month":
        period = period_containing("month", period.first)
    return render(request, "reports/print.html", {**_context(request, period, team), "form": form})


@perm_required("reports.view_reports")
def fault_tickets(request):
    """The tickets behind one recurring-fault row."""
    form, period, team = period_from_request(request)
    cause_id = id_param(request.GET.get("cause"))
    if cause_id is None:
        raise Http404
    product, model = request.GET.get("product", ""), request.GET.get("model", "")
    qs = selectors.fault_tickets(period=period, cause_id=cause_id, product=product, model=model, team=team)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "reports/fault_tickets.html", {
        "page": page, "period": period, "product": product, "model": model, "team": team,
        "query_string": query.urlencode(), "back_query": _query(period, team),
    })


@perm_required("reports.export_reports")
@require_POST
def export_create(request):
    form = ExportForm(request.POST)
    # The export buttons post the period of the report on screen with the table: read it from the body.
    _form, period, team = period_from_request(request, data=request.POST)
    if not form.is_valid():
        messages.error(request, _("This table cannot be exported."))
        return redirect("reports:index")
    params = period.as_params()
    if team is not None:
        params["team"] = team.pk
    params["lang"] = request.LANGUAGE_CODE
    try:
        export = services.export_request(user=request.user, table=form.cleaned_data["table"],
                                         fmt=form.cleaned_data["fmt"], params=params)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("reports:index")
    return redirect("reports:export_detail", pk=export.pk)


def _own_export(request, pk) -> ReportExport:
    export = get_object_or_404(ReportExport.objects.select_related("requested_by"), pk=pk)
    if not services.export_can_download(export=export, user=request.user):
        raise PermissionDenied
    return export


@perm_required("reports.export_reports")
def export_detail(request, pk):
    export = _own_export(request, pk)
    template = "reports/_export_status.html" if request.htmx else "reports/export_detail.html"
    return render(request, template, {"export": export})


@perm_required("reports.export_reports")
def export_download(request, pk):
    export = _own_export(request, pk)
    try:
        services.export_download_record(export=export, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("reports:export_detail", pk=pk)
    response = FileResponse(export.file.open("rb"), content_type=exports.CONTENT_TYPES[export.fmt])
    response["Content-Disposition"] = services.export_filename(export).content_disposition()
    return response


@perm_required("reports.export_reports")
def export_list(request):
    """My exports; a manager sees everyone's (the export log)."""
    qs = ReportExport.objects.select_related("requested_by").order_by("-created_at", "-id")
    if not request.user.has_perm("reports.download_any_export"):
        qs = qs.filter(requested_by=request.user)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(request, "reports/export_list.html", {"page": page})


@perm_required("reports.view_reportsubscription")
def subscriptions(request):
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("reports.add_reportsubscription"):
            raise PermissionDenied
        if form.is_valid():
            try:
                services.subscription_create(created_by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Subscription saved."))
                return redirect("reports:subscriptions")
    subs = ReportSubscription.objects.select_related("user", "team").order_by("user__username", "frequency")
    return render(request, "reports/subscriptions.html", {
        "form": form, "subscriptions": subs, "section_labels": selectors.SECTIONS,
    })


@perm_required("reports.delete_reportsubscription")
@require_POST
def subscription_delete(request, pk):
    sub = get_object_or_404(ReportSubscription, pk=pk)
    sub.delete()
    messages.success(request, _("Subscription removed."))
    return redirect(reverse("reports:subscriptions"))
