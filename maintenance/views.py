"""Pages of planned maintenance. Access: see maintenance/access.py and apps.py (who sees, who writes)."""
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from tickets.selectors import slice_page

from . import access, selectors, services
from .forms import CustomerPickForm, PlanFilterForm, PlanForm
from .models import MaintenancePlan


def _service_errors(form, exc: ValidationError):
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        for message in exc.messages:
            form.add_error(None, message)


@login_required
def plan_list(request):
    """Plans with filters (customer, account manager, due within N days, active), paginated."""
    own_only = not request.user.has_perm(access.VIEW)
    if own_only and not request.user.managed_accounts.exists():
        raise PermissionDenied
    form = PlanFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    qs = selectors.plans_list(customer_id=data.get("customer"), account_manager_id=data.get("account_manager"),
                              due_within=data.get("due_within"), active=data.get("active") or "yes",
                              today=timezone.localdate())
    if own_only:  # an account manager without the role's view permission: their own accounts
        qs = qs.filter(customer__account_manager=request.user)
    page = slice_page(qs, request.GET.get("page"), per_page=25, rows=selectors.plan_rows)
    query = {k: v for k, v in request.GET.items() if k != "page" and v and k in form.fields}
    customer = None
    if data.get("customer"):
        customer = Customer.objects.filter(pk=data["customer"]).only("pk", "name").first()
    return render(request, "maintenance/list.html", {
        "form": form, "page": page, "query_string": urlencode(query), "filter_customer": customer,
        "can_create": access.can_create_plans(request.user),
    })


def _customers_for(user):
    qs = Customer.objects.filter(merged_into__isnull=True).order_by("name")
    if user.has_perm(access.WRITE):
        return qs.filter(account_manager__isnull=False)
    return qs.filter(account_manager=user)


@login_required
def plan_create(request):
    """Pick the customer (?customer=), then the plan; the first visit date is shown on the plan page."""
    if not access.can_create_plans(request.user):
        raise PermissionDenied
    raw = request.POST.get("customer") or request.GET.get("customer")
    customer = None
    if raw:
        try:
            customer = Customer.objects.filter(pk=int(raw), merged_into__isnull=True).select_related(
                "account_manager").first()
        except (TypeError, ValueError, OverflowError):
            customer = None
    if customer is None:
        pick = CustomerPickForm(request.GET if raw else None, customers=_customers_for(request.user))
        if raw:
            pick.is_valid()
        return render(request, "maintenance/pick_customer.html", {"form": pick})
    if not access.can_write_plan(request.user, customer):
        raise PermissionDenied
    form = PlanForm(request.POST or None, customer=customer,
                    initial={"start_on": timezone.localdate() + timedelta(days=settings.MAINTENANCE_LEAD_DAYS),
                             "active": True, "estimated_value": 0})
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_create(customer=customer, created_by=request.user, **form.service_kwargs())
        except ValidationError as exc:
            _service_errors(form, exc)
        else:
            messages.success(request, _("Plan saved. First visit: %(date)s.") % {
                "date": plan.next_due_on.isoformat() if plan.next_due_on else "—"})
            return redirect("maintenance:detail", pk=plan.pk)
    return render(request, "maintenance/form.html", {"form": form, "customer": customer, "plan": None})


def _plan_or_404(pk):
    return get_object_or_404(MaintenancePlan.objects.select_related("customer", "customer__account_manager", "skill"),
                             pk=pk)


@login_required
def plan_edit(request, pk):
    plan = _plan_or_404(pk)
    if not access.can_write_plan(request.user, plan.customer):
        raise PermissionDenied
    form = PlanForm(request.POST or None, customer=plan.customer, initial=PlanForm.initial_for(plan))
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_update(plan=plan, actor=request.user, **form.service_kwargs())
        except ValidationError as exc:
            _service_errors(form, exc)
        else:
            messages.success(request, _("Plan saved."))
            return redirect("maintenance:detail", pk=plan.pk)
    return render(request, "maintenance/form.html", {"form": form, "customer": plan.customer, "plan": plan})


@login_required
def plan_detail(request, pk):
    """The plan, its coming dates and its visits with their work orders' status."""
    plan = _plan_or_404(pk)
    if not access.can_view_plan(request.user, plan):
        raise PermissionDenied
    coming = []
    if plan.active and plan.next_due_on:
        after = plan.next_due_on
        coming = [after]
        for _i in range(3):
            after = plan.next_after(after)
            coming.append(after)
    page = slice_page(selectors.plan_visits(plan=plan), request.GET.get("page"), per_page=20)
    return render(request, "maintenance/detail.html", {
        "plan": plan, "coming": coming, "page": page, "assets": list(plan.assets.all()),
        "other_skills": list(plan.other_skills.all()),
        "can_edit": access.can_write_plan(request.user, plan.customer),
        "lead_days": services.lead_days(),
    })
