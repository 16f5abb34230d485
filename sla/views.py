import json

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicedesk.models import Team
from servicedesk.params import YEAR_MAX, YEAR_MIN, year_param
from servicedesk.permissions import perm_required
from tickets.models import Ticket

from . import selectors, services
from .forms import CalendarDayForm, CalendarForm, ClockListFilterForm, DashboardFilterForm, HoursFormSet, PolicyForm, ReapplyForm, TargetFormSet
from .models import BusinessCalendar, CalendarDay, SLAClock, SLAPolicy, Target


# --- ticket panel -------------------------------------------------------------------------------------

@perm_required("sla.view_slaclock", "tickets.view_ticket")  # a panel of the ticket page: the page's access too
def ticket_clocks(request, ticket_id):
    """The ticket page's SLA panel on its own (the page renders it in place): 3 queries whatever the history."""
    ticket = get_object_or_404(Ticket.objects.only("id", "number", "status"), pk=ticket_id)
    now = timezone.now()
    rows = selectors.ticket_clock_rows(ticket, now)
    return render(request, "sla/_ticket_clocks_panel.html", {
        "ticket": ticket, "rows": rows, "now": now, "reapply_form": ReapplyForm(),
    })


@perm_required("sla.manage_sla")
@require_POST
def ticket_reapply(request, ticket_id):
    ticket = get_object_or_404(Ticket, pk=ticket_id)
    form = ReapplyForm(request.POST)
    if form.is_valid():
        try:
            services.policy_reapply(ticket=ticket, actor=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, _("The current SLA policy was re-applied to %(number)s.") % {"number": ticket.number})
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
    else:
        messages.error(request, _("Give a reason for re-applying the policy."))
    return redirect(selectors.ticket_url(ticket) or "sla:dashboard")


# --- dashboard ---------------------------------------------------------------------------------------

AT_RISK_CAP = 1000

def _filters(request, form_class=DashboardFilterForm):
    data = request.GET.copy()
    defaults = form_class({})
    defaults.is_valid()
    for key in ("start", "end"):  # show the effective range in the date inputs
        if not data.get(key):
            data[key] = defaults.cleaned_data[key].isoformat()
    form = form_class(data)
    if not form.is_valid():
        fallback = form_class({})
        fallback.is_valid()
        return form, selectors.DashboardFilters(start=fallback.cleaned_data["start"], end=fallback.cleaned_data["end"])
    data = form.cleaned_data
    team = data.get("team")
    return form, selectors.DashboardFilters(start=data["start"], end=data["end"], team_id=team.pk if team else None)


def _rate(cell):
    met, total = cell
    return {"met": met, "total": total, "missed": total - met, "pct": round(100 * met / total, 1) if total else None}


def _cell(rate: dict, clock_list_url: str, query: str) -> dict:
    """A breakdown cell: its rate, the link to the clocks behind it and its tooltip, made here rather than by
    a URL tag and a translation block in each of the page's ~150 cells."""
    return {**rate, "href": f"{clock_list_url}?{query}",
            "title": _("%(met)s of %(total)s met") % {"met": rate["met"], "total": rate["total"]}}


def _rows(clocks, now):
    return [{"clock": c, "url": selectors.ticket_url(c.ticket), **selectors.clock_state(c, now)} for c in clocks]


@perm_required("sla.view_dashboard")
def dashboard(request):
    """Supervisor SLA dashboard (domain.md §4): a fixed number of queries whatever the volume."""
    form, filters = _filters(request)
    now = timezone.now()
    at_risk_qs = selectors.clocks_at_risk(now=now, team_id=filters.team_id)
    at_risk = _rows(at_risk_qs[:15], now)
    # Counted up to a cap: past a thousand the exact number changes nothing for a supervisor, and
    # the cap keeps this one query from reading every open clock.
    at_risk_total = selectors.capped_count(at_risk_qs, AT_RISK_CAP)
    live = selectors.dashboard_live(filters, now)  # read once, as fine as the first figure needs
    figures = selectors.dashboard_figures(filters, now=now, live=live)  # may come from the cache
    breaches = selectors.breach_counts(now=now, team_id=filters.team_id, live=live)
    comp, pct, trend = figures["compliance"], figures["percentiles"], figures["trend"]
    teams = list(Team.objects.all())
    team_names = {t.pk: t.display_name for t in teams}
    agent_ids = {a for t in comp.values() for a in t["agent"] if a}
    agent_names = {u.pk: u.get_full_name() or u.get_username()
                   for u in get_user_model().objects.filter(pk__in=agent_ids)}
    from customers.models import Channel
    from customers.tiers import tier_labels

    labels = {
        "kind": dict(Ticket.Kind.choices), "tier": tier_labels(), "channel": dict(Channel.choices),
        "team": team_names, "agent": agent_names,
    }
    dim_titles = {"kind": _("By kind"), "tier": _("By customer tier"), "agent": _("By agent"), "team": _("By team"),
                  "channel": _("By channel")}
    targets, breakdown = [], []
    clock_list_url = reverse("sla:clock_list")  # once, not once per breakdown cell
    for target in selectors.REPORTED_TARGETS:
        data = comp[target]
        targets.append({
            "key": target, "label": Target(target).label, "all": _rate(data["all"]),
            "median": pct[target].get(50), "p90": pct[target].get(90),
            "query": filters.query(target=target), "missed_query": filters.query(target=target, met="no"),
        })
    for dim in selectors.DIMENSIONS:
        values = {}
        for target in selectors.REPORTED_TARGETS:
            for value, cell in comp[target][dim].items():
                values.setdefault(value, {})[target] = cell
        rows = []
        for value, cells in sorted(values.items(), key=lambda kv: -sum(c[1] for c in kv[1].values())):
            if dim == "team" and value is None:
                continue
            extra = {dim: value} if value is not None else {"unassigned": 1}
            rows.append({
                "label": labels[dim].get(value, _("Unassigned") if value is None else value),
                "cells": [_cell(_rate(cells.get(t, [0, 0])), clock_list_url, filters.query(target=t, **extra))
                          for t in selectors.REPORTED_TARGETS],
            })
        breakdown.append({"key": dim, "title": dim_titles[dim], "rows": rows[:10], "more": max(len(rows) - 10, 0)})
    chart = {
        "labels": trend["labels"],
        "datasets": [{"label": str(Target(t).label), "data": trend["series"][t]} for t in selectors.REPORTED_TARGETS],
    }
    context = {
        "form": form, "filters": filters, "now": now, "at_risk": at_risk, "at_risk_total": at_risk_total,
        "breaches": breaches, "compliance_counts": selectors.COMPLIANCE_COUNTS, "targets": targets, "breakdown": breakdown, "at_risk_capped": at_risk_total >= AT_RISK_CAP, "chart_json": json.dumps(chart),
        "at_risk_query": filters.query(at_risk=1), "today_query": filters.query(breached="today"),
        "week_query": filters.query(breached="week"), "refresh_query": request.GET.urlencode(),
    }
    template = "sla/_dashboard_body.html" if request.htmx else "sla/dashboard.html"
    return render(request, template, context)


@perm_required("sla.view_dashboard")
def clock_list(request):
    """The tickets behind a dashboard figure: clocks filtered like the figure, paginated."""
    form, filters = _filters(request, ClockListFilterForm)
    data = form.cleaned_data if form.is_valid() else {}
    now = timezone.now()
    if data.get("at_risk"):
        qs = selectors.clocks_at_risk(now=now, team_id=filters.team_id)
    elif data.get("breached"):
        # the clocks behind "Breaches today / this week" (sla.selectors.breach_counts): missed, due then
        today = timezone.localtime(now).date()
        since = today if data["breached"] == "today" else today - timezone.timedelta(days=today.weekday())
        qs = selectors.clocks_due(start=since, end=today, now=now, team_id=filters.team_id)
        qs = qs.filter(selectors.missed_q(now)).order_by("deadline", "pk")
    else:
        qs = selectors._decided(filters, now).order_by("-deadline", "pk")
    if data.get("target"):
        qs = qs.filter(target=data["target"])
    if data.get("met") == "yes":
        qs = qs.filter(met=True)
    elif data.get("met") == "no":
        qs = qs.filter(selectors.missed_q(now))
    for key, field in (("kind", "ticket__kind"), ("tier", "ticket__customer__tier"), ("channel", "ticket__channel")):
        if data.get(key):
            qs = qs.filter(**{field: data[key]})
    if data.get("agent"):
        qs = qs.filter(ticket__assignee_id=data["agent"])
    if data.get("unassigned"):
        qs = qs.filter(ticket__assignee__isnull=True)
    qs = qs.select_related("ticket", "ticket__customer", "ticket__assignee", "ticket__team")
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    rows = _rows(page.object_list, now)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "sla/clock_list.html", {
        "form": form, "page": page, "rows": rows, "query_string": query.urlencode(), "now": now,
    })


# --- policies and calendars (managers) ----------------------------------------------------------------

@perm_required("sla.manage_sla")
def policy_list(request):
    policies = SLAPolicy.objects.prefetch_related("targets").select_related("calendar").order_by("order", "name")
    return render(request, "sla/policy_list.html", {"policies": policies})


@perm_required("sla.manage_sla")
def policy_edit(request, pk=None):
    policy = get_object_or_404(SLAPolicy, pk=pk) if pk else SLAPolicy()
    form = PolicyForm(request.POST or None, instance=policy)
    formset = TargetFormSet(request.POST or None, instance=policy, prefix="targets")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        with transaction.atomic():
            saved = form.save()
            formset.instance = saved
            formset.save()
        messages.success(request, _("Policy “%(name)s” saved. Open tickets keep their deadlines; new tickets use it.")
                         % {"name": saved.name})
        return redirect("sla:policies")
    return render(request, "sla/policy_form.html", {"form": form, "formset": formset, "policy": policy})


@perm_required("sla.manage_sla")
def calendar_list(request):
    calendars = BusinessCalendar.objects.prefetch_related("hours").all()
    return render(request, "sla/calendar_list.html", {"calendars": calendars})


@perm_required("sla.manage_sla")
def calendar_edit(request, pk):
    calendar = get_object_or_404(BusinessCalendar, pk=pk)
    form = CalendarForm(request.POST or None, instance=calendar, prefix="cal")
    formset = HoursFormSet(request.POST or None, instance=calendar, prefix="hours")
    day_form = CalendarDayForm(prefix="day")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            services.calendar_save(form=form, formset=formset)
        except ValidationError as e:
            form.add_error(None, e)
        else:
            messages.success(request, _("Calendar saved."))
            return redirect("sla:calendar", pk=calendar.pk)
    year = year_param(request.GET.get("year"))  # None for 0, 10**30 or junk: every year is shown
    if request.GET.get("year") and year is None:
        messages.error(request, _("Choose a year between %(min)s and %(max)s.") % {"min": YEAR_MIN, "max": YEAR_MAX})
    days = CalendarDay.objects.filter(calendar=calendar).order_by("date")
    years = sorted({d.year for d in days.values_list("date", flat=True)})
    if year:
        days = days.filter(date__year=year)
    page = Paginator(days, 40).get_page(request.GET.get("page"))
    return render(request, "sla/calendar_form.html", {
        "calendar": calendar, "form": form, "formset": formset, "day_form": day_form, "page": page, "years": years,
        "year": str(year or ""), "query_string": f"year={year}" if year else "",
    })


@perm_required("sla.manage_sla")
@require_POST
def calendar_day_add(request, pk):
    calendar = get_object_or_404(BusinessCalendar, pk=pk)
    form = CalendarDayForm(request.POST, prefix="day")
    if form.is_valid():
        try:
            services.calendar_day_set(calendar=calendar, **form.cleaned_data)
            messages.success(request, _("%(date)s saved.") % {"date": form.cleaned_data["date"]})
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
    else:
        messages.error(request, " ".join(str(m) for errs in form.errors.values() for m in errs))
    return redirect("sla:calendar", pk=calendar.pk)


@perm_required("sla.manage_sla")
@require_POST
def calendar_day_delete(request, pk, day_id):
    day = get_object_or_404(CalendarDay, pk=day_id, calendar_id=pk)
    services.calendar_day_delete(day=day)
    messages.success(request, _("%(date)s removed.") % {"date": day.date})
    return redirect("sla:calendar", pk=pk)
