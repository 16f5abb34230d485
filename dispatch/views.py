"""Thin views: check access, call the service, message, redirect. Rules live in services/selectors."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers.models import Region
from servicedesk.params import next_url
from servicedesk.permissions import perm_required

from . import explain, selectors, services
from .forms import DeclineForm, ForceForm, PartForm, PhotoForm, QuoteForm, SignatureForm, WorkForm, WorkOrderForm
from .models import Offer, Technician, WorkOrder


def _can_see_all(user) -> bool:
    return user.has_perm("dispatch.view_workorder")


def _workorder_for(request, pk: int, *, acting: bool = False) -> WorkOrder:
    """Staff with view_workorder see any work order; a technician only those dispatched to them.

    acting=True (on-site actions) needs the assigned technician or change_workorder."""
    user = request.user
    try:
        wo = selectors.workorder_detail(pk=pk)
    except WorkOrder.DoesNotExist:
        # Same answer as "not yours" for technicians, so ids cannot be probed.
        if _can_see_all(user):
            raise Http404 from None
        raise PermissionDenied from None
    mine = wo.technician_id is not None and wo.technician.user_id == user.pk
    if acting:
        if not ((mine and user.has_perm("dispatch.work_on_jobs")) or user.has_perm("dispatch.change_workorder")):
            raise PermissionDenied
    elif not (_can_see_all(user) or (mine and user.has_perm("dispatch.work_on_jobs"))):
        raise PermissionDenied
    return wo


def _detail_context(request, wo: WorkOrder, **bound) -> dict:
    user = request.user
    can_override = user.has_perm("dispatch.override_stock")
    decisions = [(d, explain.render(d)) for d in wo.decisions.all()]
    pending = next((o for o in wo.offers.all() if o.answer == Offer.Answer.PENDING), None)
    quote = getattr(wo, "quote", None) if hasattr(wo, "quote") else None
    from customers import privacy

    # PIPL (issue 19): the technician has the customer's number and address on their own open job only.
    pii_full = privacy.job_shows_full(user, wo)
    if pii_full:
        privacy.record_view(user=user, customer_id=wo.customer_id, place="work_order", ref=wo.number)
    return {
        "wo": wo,
        "pii_full": pii_full,
        "customer_phone": next(iter(wo.customer.phones.all()), None),
        "pending_offer": pending,
        "my_offer": pending if pending and pending.technician.user_id == user.pk else None,
        "quote": quote,
        "decisions": decisions,
        "is_mine": wo.technician_id is not None and wo.technician.user_id == user.pk,
        "can_act": (wo.technician_id is not None and wo.technician.user_id == user.pk)
        or user.has_perm("dispatch.change_workorder"),
        "decline_form": bound.get("decline_form") or DeclineForm(),
        "work_form": bound.get("work_form") or WorkForm(initial={"work_done": wo.work_done, "fault_cause": wo.fault_cause}),
        "part_form": bound.get("part_form") or PartForm(can_override=can_override),
        "photo_form": bound.get("photo_form") or PhotoForm(),
        "quote_form": bound.get("quote_form") or QuoteForm(
            initial={"amount": quote.amount, "description": quote.description} if quote else None),
        "quote_sign_form": bound.get("quote_sign_form") or SignatureForm(prefix="q"),
        "sign_form": bound.get("sign_form") or SignatureForm(prefix="s"),
        "now": timezone.now(),
    }


@perm_required()
def workorder_detail(request, pk):
    wo = _workorder_for(request, pk)
    return render(request, "dispatch/workorder_detail.html", _detail_context(request, wo))


def _act(request, pk, *, form_class, form_key, do, success, form_kwargs=None, files=False):
    """POST an on-site form: valid → service → message → back to the job; errors → the page again."""
    wo = _workorder_for(request, pk, acting=True)
    if request.method != "POST":
        return redirect("dispatch:workorder", pk=wo.pk)
    form = form_class(request.POST, request.FILES if files else None, **(form_kwargs or {}))
    if form.is_valid():
        try:
            do(wo, form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, success)
            return redirect("dispatch:workorder", pk=wo.pk)
    wo = selectors.workorder_detail(pk=wo.pk)
    return render(request, "dispatch/workorder_detail.html", _detail_context(request, wo, **{form_key: form}),
                  status=400)


def _simple(request, pk, do, success):
    wo = _workorder_for(request, pk, acting=True)
    try:
        do(wo)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success)
    return redirect("dispatch:workorder", pk=wo.pk)


@perm_required()
@require_POST
def workorder_arrive(request, pk):
    return _simple(request, pk, lambda wo: services.workorder_arrive(work_order=wo, actor=request.user),
                   _("Arrival recorded."))


@perm_required()
@require_POST
def workorder_start(request, pk):
    return _simple(request, pk, lambda wo: services.workorder_start(work_order=wo, actor=request.user),
                   _("Work started."))


@perm_required()
@require_POST
def workorder_close(request, pk):
    return _simple(request, pk, lambda wo: services.workorder_close(work_order=wo, actor=request.user),
                   _("Work order closed. Thank you!"))


@perm_required()
def workorder_work(request, pk):
    return _act(request, pk, form_class=WorkForm, form_key="work_form", success=_("Work recorded."),
                do=lambda wo, d: services.workorder_record_work(work_order=wo, actor=request.user, **d))


@perm_required()
def workorder_part(request, pk):
    can_override = request.user.has_perm("dispatch.override_stock")
    return _act(request, pk, form_class=PartForm, form_key="part_form", success=_("Part recorded."),
                form_kwargs={"can_override": can_override},
                do=lambda wo, d: services.part_use(work_order=wo, actor=request.user, **d))


@perm_required()
def workorder_photo(request, pk):
    return _act(request, pk, form_class=PhotoForm, form_key="photo_form", success=_("Photo added."), files=True,
                do=lambda wo, d: services.photo_add(work_order=wo, actor=request.user, upload=d["photo"]))


@perm_required()
def workorder_quote(request, pk):
    return _act(request, pk, form_class=QuoteForm, form_key="quote_form", success=_("Quote saved."),
                do=lambda wo, d: services.quote_set(work_order=wo, actor=request.user, **d))


@perm_required()
def workorder_quote_accept(request, pk):
    return _act(request, pk, form_class=SignatureForm, form_key="quote_sign_form", form_kwargs={"prefix": "q"},
                success=_("The customer accepted the quote."),
                do=lambda wo, d: services.quote_accept(work_order=wo, actor=request.user, name=d["name"],
                                                       signature_data_url=d["signature"]))


@perm_required()
def workorder_sign(request, pk):
    return _act(request, pk, form_class=SignatureForm, form_key="sign_form", form_kwargs={"prefix": "s"},
                success=_("Customer sign-off recorded."),
                do=lambda wo, d: services.workorder_sign_off(work_order=wo, actor=request.user, name=d["name"],
                                                             signature_data_url=d["signature"]))


# --- offers -------------------------------------------------------------------------------------

def _my_offer(request, pk) -> Offer:
    offer = Offer.objects.select_related("work_order", "technician").filter(pk=pk).first()
    if offer is None or offer.technician.user_id != request.user.pk:
        raise PermissionDenied
    return offer


@perm_required("dispatch.work_on_jobs")
@require_POST
def offer_accept(request, pk):
    offer = _my_offer(request, pk)
    try:
        services.offer_accept(offer=offer, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("dispatch:my_jobs")
    messages.success(request, _("You accepted %(number)s.") % {"number": offer.work_order.number})
    return redirect("dispatch:workorder", pk=offer.work_order_id)


@perm_required("dispatch.work_on_jobs")
def offer_decline(request, pk):
    offer = _my_offer(request, pk)
    form = DeclineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.offer_decline(offer=offer, user=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.info(request, _("You declined %(number)s.") % {"number": offer.work_order.number})
            return redirect("dispatch:my_jobs")
    return render(request, "dispatch/offer_decline.html", {"offer": offer, "form": form},
                  status=400 if request.method == "POST" else 200)


@perm_required("dispatch.work_on_jobs")
def my_jobs(request):
    technician = Technician.objects.filter(user=request.user).first()
    if technician is None:
        return render(request, "dispatch/my_jobs.html", {"no_profile": True})
    now = timezone.now()
    ctx = selectors.my_jobs(technician=technician, now=now)
    return render(request, "dispatch/my_jobs.html", {**ctx, "technician": technician, "now": now,
                                                     "decline_form": DeclineForm()})


# --- supervisors --------------------------------------------------------------------------------

@perm_required("dispatch.view_board")
def board(request):
    now = timezone.now()
    regions = list(Region.objects.all())
    region = next((r for r in regions if str(r.pk) == request.GET.get("region")), None)
    data = selectors.board(now=now, region=region)
    from .models import DispatchSettings

    settings = DispatchSettings.load()
    caps = services._caps(settings, now)
    return render(request, "dispatch/board.html", {**data, "regions": regions, "region": region, "caps": caps,
                                                   "now": now})


@perm_required("dispatch.view_board")
@require_POST
def workorder_dispatch(request, pk):
    wo = get_object_or_404(WorkOrder, pk=pk)
    re_offer = request.POST.get("re_offer") == "1"
    try:
        decision = services.workorder_auto_dispatch(work_order=wo, actor=request.user, ignore_history=re_offer)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.info(request, explain.render(decision)["summary"])
    return redirect(next_url(request, request.POST.get("next"), "dispatch:board"))


@perm_required("dispatch.force_dispatch")
def workorder_force(request, pk):
    wo = get_object_or_404(WorkOrder.objects.select_related("region", "skill", "customer"), pk=pk)
    form = ForceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.workorder_force_dispatch(work_order=wo, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Work order %(number)s force-dispatched.") % {"number": wo.number})
            return redirect("dispatch:board")
    return render(request, "dispatch/force.html", {"wo": wo, "form": form},
                  status=400 if request.method == "POST" else 200)


@perm_required("dispatch.change_workorder")
@require_POST
def workorder_cancel(request, pk):
    wo = get_object_or_404(WorkOrder, pk=pk)
    try:
        services.workorder_cancel(work_order=wo, actor=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.info(request, _("Work order %(number)s cancelled.") % {"number": wo.number})
    return redirect("dispatch:workorder", pk=wo.pk)


# --- the ticket page ----------------------------------------------------------------------------

def _ticket(pk):
    from tickets.models import Ticket

    return get_object_or_404(Ticket.objects.select_related("customer", "asset"), pk=pk)


@perm_required("dispatch.view_workorder", "tickets.view_ticket")  # a panel of the ticket page: its access too
def ticket_panel(request, ticket_pk):
    ticket = _ticket(ticket_pk)
    return render(request, "dispatch/_ticket_panel.html",
                  {"ticket": ticket, "work_orders": selectors.ticket_workorders(ticket=ticket)})


@perm_required("dispatch.add_workorder")
def workorder_create(request, ticket_pk):
    ticket = _ticket(ticket_pk)
    form = WorkOrderForm(request.POST or None, ticket=ticket)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        auto = data.pop("auto_dispatch")
        try:
            wo = services.workorder_create(ticket=ticket, created_by=request.user, **data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Work order %(number)s created.") % {"number": wo.number})
            if auto:
                # Decided here, not in a background task: the person who asked sees the outcome (a chosen
                # technician, or "No eligible technician") on the very next page, not after a reload.
                try:
                    decision = services.workorder_auto_dispatch(work_order=wo, actor=request.user)
                except ValidationError as exc:
                    messages.error(request, " ".join(exc.messages))
                else:
                    summary = explain.render(decision)["summary"]
                    (messages.info if decision.chosen_id else messages.warning)(request, summary)
            return redirect("dispatch:workorder", pk=wo.pk)
    return render(request, "dispatch/workorder_form.html", {"ticket": ticket, "form": form},
                  status=400 if request.method == "POST" else 200)
