"""The supervisor's live board and the manager's anomaly rules. Views are thin: selectors read, services write."""
import hashlib
from dataclasses import astuple

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.permissions import perm_required

from . import selectors, services
from .forms import AnomalyRuleForm, BoardFilterForm
from .models import AnomalyRule

PER_PAGE = 50


@perm_required("monitoring.view_board")
def board(request):
    """Per agent and front-desk person, today (local day): the StaffFacts figures, sortable, refreshed by
    htmx every 30 s. A supervisor sees the teams they supervise and their own (all of them together by default); a manager
    (monitoring.view_all_teams) every team. A fixed number of queries whatever the number of people."""
    now = timezone.now()
    all_teams = request.user.has_perm("monitoring.view_all_teams")
    teams = list(selectors.board_teams(user=request.user))
    form = BoardFilterForm(request.GET or None, teams=teams, all_teams=all_teams)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    team = data.get("team")
    sort = data.get("sort") or "name"
    descending = bool(data.get("desc"))
    if team is None and not all_teams and len(teams) == 1:
        team = teams[0].pk
    if team is not None:
        people = list(selectors.board_people(team_ids=[team], all_teams=False))
    else:
        # By default everyone the person may watch: a manager every team, a supervisor all of theirs (the
        # first team alone could be one with nobody in it on a busy morning).
        people = list(selectors.board_people(team_ids=[t.pk for t in teams], all_teams=all_teams))
    if sort == "name":
        # Sorted by name (the default), the page is known before any figure: compute the figures of the
        # page's people only, so a manager's board of every team costs one page, not every person.
        people.sort(key=lambda u: (u.get_full_name() or u.get_username()).lower(), reverse=descending)
        page = Paginator(people, PER_PAGE).get_page(request.GET.get("page"))
        page.object_list = selectors.board_rows(people=list(page.object_list), now=now, sort=sort,
                                                descending=descending)
    else:
        rows = selectors.board_rows(people=people, now=now, sort=sort, descending=descending)
        page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    # What the page shows, as a token: the 30-second poll sends back the one it shows (hx-include of
    # #board-state) and gets 204 — nothing to swap — while no figure, alert or person changed.
    state = hashlib.sha1(repr([
        request.LANGUAGE_CODE, team, sort, descending, page.number,
        [(r.user.pk, astuple(r.facts), astuple(r.fcr_recent), [a.pk for a in r.alerts]) for r in page],
    ]).encode()).hexdigest()[:16]
    if request.htmx and request.GET.get("shown") == state:
        return HttpResponse(status=204)
    chart = {
        "labels": [r.name for r in page],
        "datasets": [
            {"label": str(selectors.BOARD_COLUMNS["contacts"][0]), "data": [r.facts.contacts_handled for r in page]},
            {"label": str(selectors.BOARD_COLUMNS["handling"][0]), "data": [r.avg_handling_minutes for r in page]},
        ],
    }
    query = request.GET.copy()
    query.pop("shown", None)
    refresh_query = query.urlencode()
    query.pop("page", None)
    page_query = query.urlencode()
    for key in ("sort", "desc"):
        query.pop(key, None)
    context = {
        "form": form, "page": page, "rows": list(page), "now": now, "teams": teams,
        "team": next((t for t in teams if t.pk == team), None), "all_teams": all_teams,
        "columns": [(k, v[0], v[1]) for k, v in selectors.BOARD_COLUMNS.items() if k != "name"],
        "sort": sort, "desc": descending, "fcr_counts": selectors.FCR_COUNTS, "fcr_days": selectors.fcr_days(),
        "fcr_recent_days": selectors.FCR_RECENT_DAYS,
        "alerts": [a for r in page for a in r.alerts], "chart": chart,
        "refresh_query": refresh_query, "base_query": query.urlencode(), "page_query": page_query,
        "no_team": not all_teams and not teams, "state": state,
    }
    template = "monitoring/_board_body.html" if request.htmx else "monitoring/board.html"
    return render(request, template, context)


@perm_required("monitoring.manage_rules")
def rule_list(request):
    rules = Paginator(AnomalyRule.objects.order_by("kind", "name", "pk"), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "monitoring/rule_list.html", {"rules": rules})


def _save_rule(request, form, rule=None):
    try:
        if rule is None:
            saved = services.rule_create(actor=request.user, **form.cleaned_data)
            messages.success(request, _("Rule “%(name)s” added.") % {"name": saved.name})
        else:
            saved = services.rule_update(rule=rule, actor=request.user, **form.cleaned_data)
            messages.success(request, _("Rule “%(name)s” saved.") % {"name": saved.name})
    except ValidationError as exc:
        form.add_error(None, exc)
        return None
    return saved


@perm_required("monitoring.manage_rules")
def rule_create_view(request):
    form = AnomalyRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _save_rule(request, form):
        return redirect("monitoring:rules")
    return render(request, "monitoring/rule_form.html", {"form": form, "rule": None},
                  status=400 if form.errors else 200)


@perm_required("monitoring.manage_rules")
def rule_edit(request, pk: int):
    rule = get_object_or_404(AnomalyRule, pk=pk)
    form = AnomalyRuleForm(request.POST or None, instance=AnomalyRule.objects.get(pk=rule.pk))
    if request.method == "POST" and form.is_valid() and _save_rule(request, form, rule):
        return redirect("monitoring:rules")
    events = list(rule.events.select_related("actor")[:20])
    return render(request, "monitoring/rule_form.html", {"form": form, "rule": rule, "events": events},
                  status=400 if form.errors else 200)
