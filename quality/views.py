"""Pages of the quality area: demerit slips, the inspection queue, findings. Thin: access, form, one service."""
from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from reports.periods import local_midnight
from servicedesk.permissions import perm_required
from tickets.selectors import slice_page

from . import selectors, services
from .forms import (
    AcknowledgeForm,
    FindingFilterForm,
    InspectionForm,
    OverturnForm,
    RespondForm,
    SlipFilterForm,
    SlipForm,
    WithdrawForm,
)
from .models import ChecklistItem, DailySample, DemeritSlip, Finding, InspectionTask, SeverityLevel

PER_PAGE = 25


def _month_bounds(first: date | None):
    if first is None:
        return None
    first = first.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return local_midnight(first), local_midnight(nxt)


def _query_string(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- Demerit slips -----------------------------------------------------------------------------------------

def _slip_list(request, *, mine: bool):
    form = SlipFilterForm(request.GET or None, user=request.user)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    person = data.get("person")
    qs = selectors.slip_list(user=request.user, person_id=request.user.pk if mine else (person.pk if person else None),
                             month=_month_bounds(data.get("month")))
    page = slice_page(qs, request.GET.get("page"), per_page=PER_PAGE, rows=selectors.slip_rows)
    return render(request, "quality/slip_list.html", {
        "page": page, "filter_form": form, "mine": mine, "query_string": _query_string(request)})


@perm_required("quality.view_demeritslip")
def slip_list(request):
    return _slip_list(request, mine=False)


@perm_required("quality.view_demeritslip")
def my_slips(request):
    return _slip_list(request, mine=True)


@perm_required("quality.add_demeritslip")
def slip_new(request):
    form = SlipForm(request.POST or None, request.FILES or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            evidence, content_type = d["evidence"] or (None, "")
            try:
                slip = services.slip_record(
                    person=d["person"], category=d["category"], description=d["description"],
                    occurred_at=d["occurred_at"], recorded_by=request.user, points=d["points"], fine=d["fine"],
                    evidence=evidence, evidence_type=content_type)
            except ValidationError as e:
                form.add_error(None, e)
            else:
                messages.success(request, _("Demerit slip recorded; %(name)s has been notified.") % {
                    "name": slip.person.get_full_name() or slip.person.username})
                return redirect("quality:slip_detail", pk=slip.pk)
        status = 400
    return render(request, "quality/slip_new.html", {"form": form}, status=status)


def _get_slip(request, pk) -> DemeritSlip:
    try:
        return selectors.slip_detail(pk=pk, user=request.user)
    except DemeritSlip.DoesNotExist:
        raise Http404 from None


def _post_action(request, actions: dict):
    """A detail page's POSTed action: actions = {name: (form, permission or None, service call, message)}.
    Runs the service with the form's data; returns (redirect after success or None, the form-wide errors to
    show, whether the action was refused: the page then answers 400).
    An unknown action is a 404, a missing permission a 403; a refusal by the service shows on its form."""
    if request.method != "POST":
        return None, [], False
    name = request.POST.get("action")
    if name not in actions:
        raise Http404
    form, perm, call, done = actions[name]
    if perm and not request.user.has_perm(perm):
        raise PermissionDenied
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except ValidationError as e:
            form.add_error(None, e)
        else:
            messages.success(request, done)
            return redirect(request.path), [], False
    return None, form.non_field_errors(), True


@perm_required("quality.view_demeritslip")
def slip_detail(request, pk):
    slip = _get_slip(request, pk)
    data = request.POST if request.method == "POST" else None
    ack_form = AcknowledgeForm(data if data and data.get("action") == "acknowledge" else None)
    withdraw_form = WithdrawForm(data if data and data.get("action") == "withdraw" else None)
    done, errors, refused = _post_action(request, {
        "acknowledge": (ack_form, None, lambda d: services.slip_acknowledge(slip=slip, by=request.user,
                                                                           response=d["response"]),
                        _("Slip acknowledged.")),
        "withdraw": (withdraw_form, "quality.withdraw_demeritslip",
                     lambda d: services.slip_withdraw(slip=slip, by=request.user, reason=d["reason"]),
                     _("Slip withdrawn; it no longer counts against the score.")),
    })
    if done:
        return done
    return render(request, "quality/slip_detail.html", {
        "slip": slip, "action_errors": errors, "events": selectors.slip_events(slip=slip), "ack_form": ack_form,
        "withdraw_form": withdraw_form,
        "can_acknowledge": slip.person_id == request.user.pk and not slip.acknowledged_at and not slip.is_withdrawn,
        "can_withdraw": request.user.has_perm("quality.withdraw_demeritslip") and not slip.is_withdrawn
        and slip.person_id != request.user.pk,
    }, status=400 if refused else 200)


@perm_required("quality.view_demeritslip")
def slip_evidence(request, pk):
    """The evidence photo, only to those who may see the slip (never through MEDIA_URL)."""
    slip = _get_slip(request, pk)
    if not slip.evidence:
        raise Http404
    try:
        handle = slip.evidence.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, filename=slip.evidence_name, content_type=slip.evidence_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Inspection --------------------------------------------------------------------------------------------

@perm_required("quality.inspect")
def queue(request):
    sample = None
    day = request.GET.get("day", "")
    if day:
        try:
            sample = DailySample.objects.filter(day=date.fromisoformat(day)).first()
        except ValueError:
            sample = None
    else:
        sample = selectors.latest_sample()
    status = request.GET.get("status", "")
    if status not in InspectionTask.Status.values:
        status = ""
    page = None
    if sample is not None:
        page = slice_page(selectors.inspection_queue(sample=sample, status=status or None), request.GET.get("page"),
                          per_page=PER_PAGE, rows=selectors.inspection_rows)
    return render(request, "quality/queue.html", {
        "sample": sample, "page": page, "status": status, "statuses": InspectionTask.Status.choices,
        "recent_days": list(DailySample.objects.order_by("-day").values_list("day", flat=True)[:14]),
        "query_string": _query_string(request)})


@perm_required("quality.inspect")
def inspect(request, pk):
    try:
        task = selectors.inspection_detail(pk=pk)
    except InspectionTask.DoesNotExist:
        raise Http404 from None
    items = ChecklistItem.objects.filter(active=True)
    levels = SeverityLevel.objects.all()
    form = InspectionForm(request.POST or None, items=items, levels=levels)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                findings = services.inspection_record(task=task, inspector=request.user,
                                                      results=form.cleaned_data["results"],
                                                      note=form.cleaned_data["note"])
            except ValidationError as e:
                form.add_error(None, e)
            else:
                if findings:
                    messages.warning(request, _("Inspection saved with %(n)s finding(s); the person has been "
                                                "notified.") % {"n": len(findings)})
                else:
                    messages.success(request, _("Inspection saved: everything passed."))
                return redirect("quality:queue")
        status = 400
    findings = list(selectors.finding_rows().filter(task=task)) if task.status == InspectionTask.Status.DONE else []
    return render(request, "quality/inspect.html", {"task": task, "form": form, "findings": findings},
                  status=status)


# --- Findings ----------------------------------------------------------------------------------------------

@perm_required("quality.view_demeritslip")
def findings(request):
    form = FindingFilterForm(request.GET or None, user=request.user)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    person = data.get("person")
    mine = request.GET.get("mine") == "1"
    qs = selectors.finding_list(user=request.user,
                                person_id=request.user.pk if mine else (person.pk if person else None),
                                severity_id=data["severity"].pk if data.get("severity") else None,
                                month=_month_bounds(data.get("month")))
    page = slice_page(qs, request.GET.get("page"), per_page=PER_PAGE, rows=selectors.finding_rows)
    return render(request, "quality/findings.html", {
        "page": page, "filter_form": form, "mine": mine, "query_string": _query_string(request)})


@perm_required("quality.view_demeritslip")
def finding_detail(request, pk):
    try:
        finding = selectors.finding_detail(pk=pk, user=request.user)
    except Finding.DoesNotExist:
        raise Http404 from None
    data = request.POST if request.method == "POST" else None
    respond_form = (RespondForm(data) if data and data.get("action") == "respond"
                    else RespondForm(initial={"response": finding.response}))
    overturn_form = OverturnForm(data if data and data.get("action") == "overturn" else None)
    done, errors, refused = _post_action(request, {
        "respond": (respond_form, None, lambda d: services.finding_respond(finding=finding, by=request.user,
                                                                          response=d["response"]),
                    _("Your response was saved.")),
        "overturn": (overturn_form, "quality.overturn_finding",
                     lambda d: services.finding_overturn(finding=finding, by=request.user, reason=d["reason"]),
                     _("Finding overturned; it no longer counts against the score.")),
    })
    if done:
        return done
    return render(request, "quality/finding_detail.html", {
        "finding": finding, "action_errors": errors, "respond_form": respond_form, "overturn_form": overturn_form,
        "events": list(finding.events.select_related("actor")),
        "can_respond": finding.person_id == request.user.pk and not finding.is_overturned,
        "can_overturn": request.user.has_perm("quality.overturn_finding") and not finding.is_overturned
        and finding.person_id != request.user.pk,
    }, status=400 if refused else 200)
