"""Pages of the PDCA register. Every member of staff reads it (improvement.view_improvementaction);
supervisors and managers create and edit (improvement.manage_action); an owner moves their own actions."""
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicedesk.permissions import perm_required
from tickets.selectors import slice_page

from . import selectors, services
from .forms import ActionForm, MoveForm, RegisterFilterForm
from .models import ImprovementAction

VIEW = "improvement.view_improvementaction"
MANAGE = "improvement.manage_action"


def _errors(form, exc: ValidationError):
    for message in exc.messages:
        form.add_error(None, message)


def _action(pk) -> ImprovementAction:
    try:
        return selectors.action_detail(pk)
    except (ImprovementAction.DoesNotExist, OverflowError):
        raise Http404 from None


@perm_required(VIEW)
def register(request):
    form = RegisterFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    today = timezone.localdate()
    qs = selectors.register(month=data.get("month"), status=data.get("status") or "",
                            owner_id=data["owner"].pk if data.get("owner") else None,
                            overdue=bool(data.get("overdue")), today=today)
    page = slice_page(qs, request.GET.get("page"), per_page=25, rows=selectors.register_rows)
    query = urlencode({k: v for k, v in request.GET.items() if k != "page" and k in form.fields})
    return render(request, "improvement/register.html", {"form": form, "page": page, "today": today,
                                                         "query_string": query, "can_manage": request.user.has_perm(MANAGE)})


def _save_kwargs(form):
    d = form.cleaned_data
    return {k: d[k] for k in ("problem", "measure", "owner", "due_date", "fault_cause", "complaints",
                              "survey_responses", "findings")}


@perm_required(VIEW, MANAGE)
def create(request):
    form = ActionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            action = services.action_create(by=request.user, **_save_kwargs(form))
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("Improvement action #%(pk)s is registered; %(owner)s is told.")
                             % {"pk": action.pk, "owner": action.owner})
            return redirect("improvement:detail", action.pk)
    return render(request, "improvement/form.html", {"form": form, "action": None})


@perm_required(VIEW, MANAGE)
def edit(request, pk):
    action = _action(pk)
    initial = {"problem": action.problem, "measure": action.measure, "owner": action.owner_id,
               "due_date": action.due_date, "fault_cause": action.fault_cause_id,
               "complaints": " ".join(t.number for t in action.complaints.all()),
               "survey_responses": " ".join(str(r.pk) for r in action.survey_responses.all()),
               "findings": " ".join(str(f.pk) for f in action.findings.all())}
    form = ActionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.action_update(action=action, by=request.user, **_save_kwargs(form))
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("Improvement action #%(pk)s is saved.") % {"pk": action.pk})
            return redirect("improvement:detail", action.pk)
    return render(request, "improvement/form.html", {"form": form, "action": action})


@perm_required(VIEW)
def detail(request, pk):
    action = _action(pk)
    allowed = sorted(services.TRANSITIONS[action.status], key=ImprovementAction.Status.values.index)
    can_move = services.can_move(user=request.user, action=action) and bool(allowed)
    return render(request, "improvement/detail.html", {
        "action": action, "move_form": MoveForm(allowed=allowed) if can_move else None,
        "can_manage": request.user.has_perm(MANAGE) and action.is_open, "today": timezone.localdate()})


@require_POST
@perm_required(VIEW)
def move(request, pk):
    action = _action(pk)
    if not services.can_move(user=request.user, action=action):
        raise Http404
    form = MoveForm(request.POST, allowed=services.TRANSITIONS[action.status])
    if not form.is_valid():
        messages.error(request, _("Choose a status this action can move to."))
        return redirect("improvement:detail", action.pk)
    try:
        services.action_move(action=action, by=request.user, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Improvement action #%(pk)s is now “%(status)s”.")
                         % {"pk": action.pk, "status": ImprovementAction.Status(form.cleaned_data["to_status"]).label})
    return redirect("improvement:detail", action.pk)
