
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from servicedesk import exports
from servicedesk.params import id_param
from servicedesk.permissions import perm_required
from servicedesk.ratelimit import client_ip, over_limit

from . import selectors, services
from .forms import (
    CallbackCancelForm,
    CallbackRecordForm,
    CallbackScheduleForm,
    PolicyForm,
    SatisfactionFilterForm,
    SurveyForm,
)
from .models import Callback


# --- Callbacks (staff) -----------------------------------------------------------------------------------
@perm_required("followups.view_callback")
def callbacks(request):
    now = timezone.now()
    owner = None
    owner_id = request.GET.get("owner", "")
    if request.user.has_perm("followups.view_all_callbacks"):
        if owner_id == "me":
            owner = request.user
        elif id_param(owner_id):
            from django.contrib.auth import get_user_model

            owner = get_user_model().objects.filter(pk=id_param(owner_id)).first()
    context = {"now": now, "owner_filter": owner_id, "can_see_all": request.user.has_perm("followups.view_all_callbacks")}
    section = request.GET.get("section", "")
    if section in selectors.QUEUE_SECTIONS:
        # "see all" of one section: every row, paginated
        from django.core.paginator import Paginator

        page = Paginator(selectors.callback_section(user=request.user, now=now, section=section, owner=owner),
                         50).get_page(request.GET.get("page"))
        selectors._attach_phones(list(page.object_list))
        query = request.GET.copy()
        query.pop("page", None)
        context.update(section=section, page=page, query_string=query.urlencode())
    else:
        context["queue"] = selectors.callback_queue(user=request.user, now=now, owner=owner)
    return render(request, "followups/callbacks.html", context)


def _get_callback(request, pk):
    try:
        return selectors.callback_detail(pk=pk, user=request.user)
    except Callback.DoesNotExist:
        raise Http404 from None


@perm_required("followups.view_callback")
def callback_detail(request, pk):
    cb = _get_callback(request, pk)
    pol = selectors.policy()
    form = CallbackRecordForm(policy=pol)
    if request.method == "POST":
        if not request.user.has_perm("followups.record_callback"):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        form = CallbackRecordForm(request.POST, policy=pol)
        if form.is_valid():
            data = form.cleaned_data
            try:
                cb = services.callback_record_attempt(
                    callback=cb, actor=request.user, reached=data["result"] == "reached",
                    outcome=data.get("outcome") or "", notes=data.get("notes") or "",
                    problem=data.get("problem") or "", action=data.get("action") or None,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                if cb.status == Callback.Status.PENDING:
                    messages.info(request, _("No answer recorded; try again %(when)s.") % {
                        "when": timezone.localtime(cb.due_at).strftime("%Y-%m-%d %H:%M")})
                elif cb.status == Callback.Status.UNREACHABLE:
                    messages.warning(request, _("No answer after %(n)s attempts: marked unreachable.") % {
                        "n": cb.attempts})
                else:
                    messages.success(request, _("Callback recorded."))
                return redirect("followups:callbacks")
    phones = list(cb.customer.phones.all())
    from customers.privacy import record_view

    record_view(user=request.user, customer_id=cb.customer_id, place="callback", ref=f"#{cb.pk}")
    return render(request, "followups/callback_detail.html", {
        "cb": cb, "form": form, "phones": phones, "cancel_form": CallbackCancelForm(),
        "attempts": list(cb.attempt_rows.all()),
    })


@perm_required("followups.change_callback")
@require_POST
def callback_cancel(request, pk):
    cb = _get_callback(request, pk)
    form = CallbackCancelForm(request.POST)
    if form.is_valid():
        try:
            services.callback_cancel(callback=cb, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Callback cancelled."))
    else:
        messages.error(request, _("Give a reason for cancelling."))
    return redirect("followups:callback", pk=cb.pk)


@perm_required("followups.add_callback")
def callback_new(request):
    form = CallbackScheduleForm(request.POST or None, user=request.user,
                                initial={"ticket_number": request.GET.get("ticket", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            cb = services.callback_schedule_manual(
                customer=data["customer"], ticket=data["ticket"], due_at=data["due_at"], actor=request.user,
                owner=data.get("owner"), notes=data.get("notes") or "",
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Callback scheduled."))
            return redirect("followups:callback", pk=cb.pk)
    return render(request, "followups/callback_new.html", {"form": form})


# --- Satisfaction (supervisors, managers) ---------------------------------------------------------------------
@perm_required("followups.view_satisfaction")
def satisfaction(request):
    now = timezone.now()
    form = SatisfactionFilterForm(request.GET or None, now=now)
    start, end = form.period()
    filters = form.filters()
    segment = (form.cleaned_data.get("segment") if form.is_valid() else "") or "tier"
    report = selectors.satisfaction_report(start=start, end=end, segment=segment, filters=filters, now=now)
    data = form.cleaned_data if form.is_valid() else {}
    comments = selectors.survey_comments(start=start, end=end, filters=filters,
                                         max_overall=data.get("max_overall"), search=data.get("q") or "")
    page = CheapPage(comments, request.GET.get("page"), per_page=20)
    query = request.GET.copy()
    query.pop("page", None)
    chart = {
        "labels": [m.strftime("%Y-%m") for m, _s in report.months],
        "csat": [s.csat for _m, s in report.months],
        "nps": [s.nps for _m, s in report.months],
        "responses": [s.n for _m, s in report.months],
        "dim_labels": [str(label) for _k, label, _v in report.total.averages],
        "dims": [v for _k, _l, v in report.total.averages],
    }
    weights = [(label, getattr(report.policy, attr), help_text) for attr, label, _f, help_text in selectors.WEIGHT_MAPPING]
    return render(request, "followups/satisfaction.html", {
        "form": form, "report": report, "page": page, "query_string": query.urlencode(), "chart": chart,
        "segment_label": selectors.SEGMENTS[report.segment], "weights": weights, "start": start, "end": end,
    })


class CheapPage:
    """A page of a long list without COUNT(*): fetch one row more than shown to know if there is a
    next page (counting 100,000 comments on every dashboard view costs more than the rest)."""

    def __init__(self, queryset, number, *, per_page: int):
        try:
            self.number = max(1, min(int(number or 1), 10_000))
        except (TypeError, ValueError):
            self.number = 1
        offset = (self.number - 1) * per_page
        rows = list(queryset[offset:offset + per_page + 1])
        self.object_list = rows[:per_page]
        self.has_next = len(rows) > per_page
        self.has_previous = self.number > 1
        self.has_other_pages = self.has_next or self.has_previous
        self.next_page_number = self.number + 1
        self.previous_page_number = self.number - 1

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)


@perm_required("followups.view_satisfaction", "followups.export_satisfaction")
def satisfaction_export(request, fmt="csv"):
    """Every survey answer of the period and filters, as a file (servicedesk.exports: labels, safe cells)."""
    from customers.models import Channel
    from customers.tiers import tier_labels
    from tickets.models import Ticket

    now = timezone.now()
    form = SatisfactionFilterForm(request.GET or None, now=now)
    start, end = form.period()
    filters = form.filters()
    rows = selectors.survey_export_rows(start=start, end=end, filters=filters)

    def person(user):
        return (user.get_full_name() or user.username) if user else ""

    tiers = tier_labels()  # tiers are data (issue 17): names read once, retired tiers included
    table = exports.Table(
        title=_("Survey answers"),
        headers=[_("Submitted"), _("Ticket"), _("Ticket kind"), _("Channel"), _("Service tier"), _("Region"), _("Agent"),
                 _("Technician"), _("Overall satisfaction"), _("Reliability"), _("Responsiveness"),
                 _("Professional skill"), _("Attitude"), _("Appearance and tidiness"), _("Likelihood to recommend"),
                 _("Comment")],
        rows=([
            r.submitted_at, r.ticket.number if r.ticket else "", exports.choice_label(Ticket.Kind.choices, r.ticket_kind),
            exports.choice_label(Channel.choices, r.channel), exports.choice_label(tiers, r.tier),
            str(r.region) if r.region else "", person(r.agent), person(r.technician),
            r.overall, r.reliability, r.responsiveness, r.assurance, r.empathy, r.tangibles, r.recommend, r.comment,
        ] for r in rows.iterator(chunk_size=2000)),
    )
    data = form.cleaned_data if form.is_valid() else {}
    parts = [exports.period_part(start, end, months=True)]
    for key, choices in (("tier", tiers), ("channel", Channel.choices), ("ticket_kind", Ticket.Kind.choices)):
        if filters.get(key):
            parts.append((filters[key], exports.choice_label(choices, filters[key])))
    if data.get("region"):
        parts.append((f"region-{data['region'].pk}", str(data["region"])))
    name = exports.FileName.build(title=_("Survey answers"), slug="survey-answers", parts=parts, ext=fmt)
    return exports.response(table=table, fmt=exports.requested_format(fmt), filename=name)


@perm_required("followups.view_staff_performance")
def staff_performance(request):
    now = timezone.now()
    form = SatisfactionFilterForm(request.GET or None, now=now)
    start, end = form.period()
    rows = selectors.staff_performance(start=start, end=end, now=now)
    return render(request, "followups/staff_performance.html", {"rows": rows, "form": form, "start": start,
                                                                 "end": end})


@perm_required("followups.change_followuppolicy")
def policy_edit(request):
    pol = selectors.policy()
    form = PolicyForm(request.POST or None, instance=pol)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items()}
        try:
            services.policy_update(actor=request.user, data=data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Policy saved."))
            return redirect("followups:policy")
    return render(request, "followups/policy.html", {"form": form, "weights": selectors.WEIGHT_MAPPING})


# --- Public survey (no login) --------------------------------------------------------------------------------------
def _rate_limited(request) -> bool:
    """Fixed window per IP (SURVEY_RATE_LIMIT = (requests, seconds))."""
    limit, window = getattr(settings, "SURVEY_RATE_LIMIT", (30, 60))
    return over_limit(scope="survey", ident=client_ip(request), limit=limit, window=window)


def _survey_language(request, invitation=None) -> str:
    wanted = request.GET.get("lang") or request.POST.get("lang")
    codes = [code for code, _name in settings.LANGUAGES]
    if wanted in codes:
        return wanted
    if invitation is not None and invitation.language in codes:
        return invitation.language
    return "zh-hans"


def _survey_problem(request, status: int, kind: str, lang: str):
    with translation.override(lang):
        return render(request, "followups/survey_problem.html", {"kind": kind, "lang": lang}, status=status)


@never_cache
def survey(request, token):
    if _rate_limited(request):
        return _survey_problem(request, 429, "rate", _survey_language(request))
    now = timezone.now()
    try:
        invitation = services.survey_invitation_for_token(token, now=now)
    except services.SurveyAlreadyAnswered:
        return _survey_problem(request, 200, "answered", _survey_language(request))
    except services.SurveyExpired:
        return _survey_problem(request, 410, "expired", _survey_language(request))
    except services.SurveyTokenError:
        return _survey_problem(request, 400, "invalid", _survey_language(request))
    lang = _survey_language(request, invitation)
    with translation.override(lang):
        form = SurveyForm(request.POST or None)
        status = 200
        if request.method == "POST":
            if form.is_valid():
                try:
                    services.survey_submit(invitation=invitation, answers=form.cleaned_data, now=now)
                except services.SurveyAlreadyAnswered:
                    return _survey_problem(request, 200, "answered", lang)
                except services.SurveyExpired:
                    return _survey_problem(request, 410, "expired", lang)
                except ValidationError:
                    status = 400
                    form.add_error(None, _("Please choose one of the offered answers."))
                else:
                    return _survey_problem(request, 200, "thanks", lang)
            else:
                status = 400
        customer = invitation.customer
        # Only the first word of a person's name (a Chinese name has no space: the whole name).
        first_name = (customer.name.split() or [""])[0] if customer.kind == "person" else ""
        response = render(request, "followups/survey.html", {
            "form": form, "token": token, "lang": lang, "first_name": first_name,
            "ticket_number": invitation.ticket.number if invitation.ticket_id else "",
            "ticket_subject": invitation.ticket.subject if invitation.ticket_id else "",
            "dimension_fields": [form[name] for name in SurveyForm.DIMENSIONS],
            "other_lang": "en" if lang == "zh-hans" else "zh-hans",
        }, status=status)
    return response
