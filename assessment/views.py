"""Pages of the staff assessment. Access (issue 18, "Rules for data and access"): an employee sees only
their own results; an evaluator only the forms assigned to them; a supervisor their team; a manager all."""
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from reports.periods import period_containing
from servicedesk import exports
from servicedesk.lookups import localized_name
from servicedesk.permissions import perm_required
from tickets.selectors import slice_page

from . import selectors, services
from .forms import AdjustmentForm, AssignmentForm, CycleOpenForm, EvaluationForm
from .models import Cycle, EvaluationTask, EvaluatorAssignment, Result
from .presenters import breakdown_lines, facts_for, person_name

MANAGE = "assessment.manage_cycle"
SEE_TEAM = "assessment.view_team_results"


def _errors(form, exc: ValidationError):
    for message in exc.messages:
        form.add_error(None, message)


# --- The employee's own page ---------------------------------------------------------------------------
@perm_required("assessment.be_assessed")
def my_assessment(request):
    """My month in progress (what counts so far) and my past results."""
    now = timezone.now()
    period = period_containing("month", timezone.localdate(now))
    cycle = Cycle.objects.filter(month=period.first).first()
    if cycle is not None and cycle.is_open and request.user.pk in cycle.snapshot.get("people", []):
        breakdown = selectors.cycle_breakdowns(cycle=cycle, user_ids=[request.user.pk])[request.user.pk]
    else:
        breakdown = selectors.score_breakdown(user_ids=[request.user.pk], start=period.start, end=min(now, period.end),
                                              rules=selectors.current_rules())[request.user.pk]
    closed_result = None
    if cycle is not None and not cycle.is_open:
        closed_result = Result.objects.filter(cycle=cycle, person=request.user).first()
    page = slice_page(selectors.results_for_person(user=request.user), request.GET.get("page"), per_page=12)
    return render(request, "assessment/mine.html", {
        "period": period, "cycle": cycle, "breakdown": breakdown, "lines": breakdown_lines(breakdown),
        "closed_result": closed_result, "page": page,
    })


# --- Evaluators ----------------------------------------------------------------------------------------
@login_required
def my_forms(request):
    """The forms assigned to me (to fill while the month is open, and those I filled)."""
    page = slice_page(selectors.tasks_for_evaluator(user=request.user), request.GET.get("page"), per_page=25)
    return render(request, "assessment/my_forms.html", {"page": page})


@login_required
def form_fill(request, pk):
    try:
        task = selectors.task_for_evaluator(user=request.user, pk=pk)
    except EvaluationTask.DoesNotExist:
        raise Http404 from None
    cycle = task.cycle
    items = [dict(item) for item in cycle.snapshot.get("items", [])]
    form = EvaluationForm(request.POST or None, items=items, initial_answers=task.answers)
    if request.method == "POST" and form.is_valid():
        try:
            services.evaluation_submit(task=task, by=request.user, answers=form.answers())
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("Your form about %(person)s is saved: %(total)s of %(max)s.") % {
                "person": person_name(task.person), "total": task.total, "max": cycle.snapshot["form_max"]})
            return redirect("assessment:my_forms")
    facts = facts_for(cycle=cycle, person=task.person)
    parts = []
    for item in items:
        item["bound"] = form[item["field"]]
        item["fact_shown"] = facts.by_field.get(item.get("fact") or "")
        if not parts or parts[-1]["name"] != item["part"]:
            parts.append({"name": item["part"], "label": localized_name(item["part"], item["part_en"]), "items": []})
        parts[-1]["items"].append(item)
    return render(request, "assessment/form.html", {
        "task": task, "cycle": cycle, "form": form, "parts": parts, "facts": facts, "person_name": person_name(task.person),
    })


# --- Cycles (managers; supervisors read their team) ----------------------------------------------------
@perm_required(SEE_TEAM)
def cycles(request):
    page = slice_page(selectors.cycles_list(), request.GET.get("page"), per_page=24)
    return render(request, "assessment/cycles.html", {"page": page, "can_manage": request.user.has_perm(MANAGE)})


@perm_required(MANAGE)
def cycle_open(request):
    today = timezone.localdate()
    form = CycleOpenForm(request.POST or None, initial={"month": today.strftime("%Y-%m")})
    if request.method == "POST" and form.is_valid():
        try:
            cycle = services.cycle_open(month=form.cleaned_data["month"], by=request.user)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("The %(month)s assessment is open: %(forms)s forms sent to %(evaluators)s evaluators.")
                             % {"month": cycle, "forms": cycle.tasks.count(),
                                "evaluators": cycle.tasks.values("evaluator").distinct().count()})
            return redirect("assessment:cycle", pk=cycle.pk)
    return render(request, "assessment/cycle_open.html", {"form": form})


@perm_required(SEE_TEAM)
def cycle_detail(request, pk):
    """Every visible person's score, line by line (a page at a time; a fixed number of queries)."""
    cycle = get_object_or_404(Cycle.objects.select_related("opened_by", "closed_by"), pk=pk)
    page = slice_page(selectors.visible_people(user=request.user, cycle=cycle), request.GET.get("page"), per_page=20)
    ids = [p.pk for p in page.object_list]
    rows = []
    if cycle.is_open:
        breakdowns = selectors.cycle_breakdowns(cycle=cycle, user_ids=ids)
        for person in page.object_list:
            b = breakdowns[person.pk]
            rows.append({"person": person, "name": person_name(person), "score": b.score, "lines": breakdown_lines(b),
                         "result": None})
    else:
        results = selectors.result_rows(cycle=cycle, user_ids=ids)
        for person in page.object_list:
            result = results.get(person.pk)
            if result is None:
                continue
            b = selectors.Breakdown.from_json(result.breakdown)
            rows.append({"person": person, "name": person_name(person), "score": result.score,
                         "lines": breakdown_lines(b, result=result), "result": result})
    return render(request, "assessment/cycle.html", {
        "cycle": cycle, "page": page, "rows": rows, "counts": selectors.cycle_form_counts(cycle=cycle),
        "can_manage": request.user.has_perm(MANAGE),
    })


@perm_required(MANAGE)
def cycle_close(request, pk):
    cycle = get_object_or_404(Cycle, pk=pk)
    if request.method == "POST":
        try:
            services.cycle_close(cycle=cycle, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The %(month)s assessment is closed: %(n)s results locked.")
                             % {"month": cycle, "n": cycle.results.count()})
        return redirect("assessment:cycle", pk=cycle.pk)
    return render(request, "assessment/cycle_close.html", {"cycle": cycle,
                                                           "counts": selectors.cycle_form_counts(cycle=cycle)})


@perm_required(MANAGE)
def payroll_export(request, pk, fmt="csv"):
    """Per person: score, performance pay %, reward, consecutive months below the threshold, flag."""
    cycle = get_object_or_404(Cycle, pk=pk, state=Cycle.State.CLOSED)
    # Surname first, as a Chinese payroll lists people (张 雷), not the English "first last" of the pages.
    rows = ((username, " ".join(p for p in (last, first) if p) or username, score, score, reward, below,
             exports.yes_no(flagged))
            for username, first, last, score, reward, below, flagged in selectors.payroll_rows(cycle=cycle))
    table = exports.Table(
        title=_("Assessment %(month)s") % {"month": cycle},
        headers=[_("User name"), _("Name"), _("Score"), _("Performance pay %"), _("Reward (¥)"),
                 _("Consecutive months below the threshold"), _("Flagged for dismissal review")],
        rows=rows)
    name = exports.FileName.build(title=_("Payroll"), slug="payroll",
                                  parts=[exports.period_part(cycle.month, months=True)], ext=fmt)
    return exports.response(table=table, fmt=exports.requested_format(fmt), filename=name)


def _visible_result(request, pk) -> Result:
    result = get_object_or_404(Result.objects.select_related("cycle", "person"), pk=pk)
    if not selectors.visible_people(user=request.user, cycle=result.cycle).filter(pk=result.person_id).exists():
        raise Http404
    return result


@perm_required(SEE_TEAM)
def result_sheet(request, pk):
    """A printable sheet for one person's month, with signature lines."""
    result = _visible_result(request, pk)
    b = selectors.Breakdown.from_json(result.breakdown)
    return render(request, "assessment/sheet.html", {
        "result": result, "cycle": result.cycle, "name": person_name(result.person),
        "lines": breakdown_lines(b, result=result), "adjustments": result.adjustments.select_related("created_by"),
    })


@perm_required(MANAGE)
def result_adjust(request, pk):
    result = _visible_result(request, pk)
    form = AdjustmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            adj = services.result_adjust(result=result, by=request.user, points=form.cleaned_data["points"],
                                         reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("%(person)s's score changed from %(before)s to %(after)s.") % {
                "person": person_name(result.person), "before": adj.score_before, "after": adj.score_after})
            return redirect("assessment:cycle", pk=result.cycle_id)
    return render(request, "assessment/adjust.html", {
        "result": result, "form": form, "name": person_name(result.person),
        "adjustments": result.adjustments.select_related("created_by"),
    })


# --- Evaluator configuration ---------------------------------------------------------------------------
@perm_required(MANAGE)
def evaluators(request):
    User = get_user_model()
    form = AssignmentForm(request.POST or None, people=selectors.assessed_people(),
                          staff=User.objects.filter(is_active=True).order_by("username"))
    if request.method == "POST" and form.is_valid():
        try:
            services.evaluator_assign(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("%(evaluator)s will evaluate %(person)s from the next cycle.") % {
                "evaluator": person_name(form.cleaned_data["evaluator"]), "person": person_name(form.cleaned_data["person"])})
            return redirect("assessment:evaluators")
    qs = EvaluatorAssignment.objects.select_related("person", "evaluator", "kind").order_by(
        "person__username", "kind__order", "pk")
    page = slice_page(qs, request.GET.get("page"), per_page=50)
    return render(request, "assessment/evaluators.html", {"form": form, "page": page})


@perm_required(MANAGE)
@require_POST
def evaluator_remove(request, pk):
    assignment = get_object_or_404(EvaluatorAssignment.objects.select_related("person", "evaluator", "kind"), pk=pk)
    services.evaluator_unassign(assignment=assignment, by=request.user)
    messages.success(request, _("%(evaluator)s no longer evaluates %(person)s (from the next cycle).") % {
        "evaluator": person_name(assignment.evaluator), "person": person_name(assignment.person)})
    return redirect("assessment:evaluators")


