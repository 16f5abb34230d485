"""Pages of service contracts, "My renewals" and care dates. Who may open what: contracts/apps.py."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicedesk.permissions import perm_required
from tickets.selectors import slice_page

from . import selectors, services
from .forms import ContractFilterForm, ContractForm, RenewalsFilterForm
from .models import Reminder, ServiceContract

VIEW = "contracts.view_servicecontract"
RENEWALS = "contracts.view_renewals"
ALL_RENEWALS = "contracts.view_all_renewals"


def _query_string(request) -> str:
    query = request.GET.copy()
    for key in ("page", "tpage", "cpage", "wpage"):
        query.pop(key, None)
    return query.urlencode()


def _form_errors(form, exc: ValidationError):
    for message in exc.messages:
        form.add_error(None, message)


@perm_required(VIEW)
def contract_list(request):
    today = timezone.localdate()
    form = ContractFilterForm(request.GET or None)
    # An invalid filter value is ignored (the form shows why); the valid ones still apply.
    data = {}
    if form.is_bound:
        form.is_valid()
        data = form.cleaned_data
    manager = data.get("manager") or None
    qs = selectors.contracts_filtered(today=today, customer_id=data.get("customer"), manager=manager,
                                      level_id=data["level"].pk if data.get("level") else None,
                                      ending_within=data.get("ending"), status=data.get("status") or "")
    page = slice_page(qs, request.GET.get("page"), per_page=25, rows=selectors.contract_rows)
    customer = None
    if data.get("customer"):
        from customers.models import Customer

        customer = Customer.objects.filter(pk=data["customer"]).first()
    for c in page.object_list:
        c.status_code = c.status(today)
    return render(request, "contracts/list.html", {
        "page": page, "filter_form": form, "customer": customer, "query_string": _query_string(request)})


@perm_required(VIEW)
def contract_detail(request, pk):
    try:
        contract = selectors.contract_detail(pk)
    except ServiceContract.DoesNotExist:
        raise Http404 from None
    contract.status_code = contract.status(timezone.localdate())
    may_edit = request.user.has_perm("contracts.change_servicecontract") and (
        request.user.has_perm("contracts.manage_all_contracts") or contract.customer.account_manager_id == request.user.pk)
    return render(request, "contracts/detail.html", {"contract": contract, "may_edit": may_edit})


def _save(request, form, contract=None):
    data = form.cleaned_data
    try:
        saved = services.contract_save(by=request.user, customer=data["customer"] if contract is None else contract.customer,
                                       level=data["level"], start_date=data["start_date"], end_date=data["end_date"],
                                       price=data["price"], notes=data["notes"], assets=data["assets"],
                                       contract=contract)
    except ValidationError as exc:
        _form_errors(form, exc)
        return None
    return saved


@perm_required("contracts.add_servicecontract")
def contract_create(request):
    customer_id = request.GET.get("customer")
    initial = {"customer": customer_id} if customer_id and customer_id.isdigit() and len(customer_id) < 18 else {}
    form = ContractForm(request.POST or None, initial=initial, customer_id=initial.get("customer"))
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form)
        if saved is not None:
            messages.success(request, _("Contract %(number)s saved.") % {"number": saved.number})
            return redirect("contracts:detail", pk=saved.pk)
    return render(request, "contracts/form.html", {"form": form, "contract": None})


@perm_required("contracts.change_servicecontract")
def contract_edit(request, pk):
    contract = get_object_or_404(ServiceContract.objects.select_related("customer"), pk=pk)
    if not (request.user.has_perm("contracts.manage_all_contracts") or contract.customer.account_manager_id == request.user.pk):
        raise PermissionDenied
    initial = {"customer": contract.customer_id, "level": contract.level_id, "start_date": contract.start_date,
               "end_date": contract.end_date, "price": contract.price, "notes": contract.notes,
               "assets": list(contract.assets.values_list("pk", flat=True))}
    form = ContractForm(request.POST or None, initial=initial, contract=contract)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, contract=contract)
        if saved is not None:
            messages.success(request, _("Contract %(number)s saved.") % {"number": saved.number})
            return redirect("contracts:detail", pk=saved.pk)
    return render(request, "contracts/form.html", {"form": form, "contract": contract})


def _chosen_manager(request, form):
    """The account manager whose lists are shown: me, or (for supervisors and managers) the one chosen."""
    if not request.user.has_perm(ALL_RENEWALS) or "manager" not in form.fields:
        return request.user
    value = form.cleaned_data.get("manager") if form.is_valid() else ""
    if not value:
        return request.user
    if value == selectors.NO_MANAGER:
        return selectors.NO_MANAGER
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=int(value)).first() or request.user


@perm_required(RENEWALS)
def renewals(request):
    today = timezone.localdate()
    form = RenewalsFilterForm(request.GET or None, choose_manager=request.user.has_perm(ALL_RENEWALS))
    manager = _chosen_manager(request, form)
    days = (form.cleaned_data.get("days") if form.is_bound and form.is_valid() else None) or selectors.RENEWALS_DAYS
    tasks = slice_page(selectors.open_tasks(manager=manager), request.GET.get("tpage"), per_page=20)
    contracts = slice_page(selectors.renewal_contracts(manager=manager, today=today, days=days),
                           request.GET.get("cpage"), per_page=20)
    warranties = slice_page(selectors.renewal_warranties(manager=manager, today=today, days=days),
                            request.GET.get("wpage"), per_page=20)
    for a in warranties.object_list:
        a.covered_number = ServiceContract.number_of(a.covered_by) if a.covered_by else ""
    return render(request, "contracts/renewals.html", {
        "filter_form": form, "manager": manager, "no_manager": manager == selectors.NO_MANAGER, "days": days,
        "tasks": tasks, "contracts": contracts, "warranties": warranties, "today": today,
        "query_string": _query_string(request)})


@perm_required(RENEWALS)
@require_POST
def reminder_done(request, pk):
    reminder = get_object_or_404(Reminder, pk=pk)
    try:
        services.reminder_done(reminder=reminder, by=request.user)
    except ValidationError as exc:
        if reminder.assignee_id != request.user.pk and not request.user.has_perm(ALL_RENEWALS):
            raise PermissionDenied from None
        messages.info(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Task marked done."))
    target = reverse("contracts:renewals")
    back = request.POST.get("next", "")
    if back.startswith(target) and "//" not in back:
        target = back
    return redirect(target)


@perm_required(RENEWALS)
def care_dates(request):
    today = timezone.localdate()
    form = RenewalsFilterForm(request.GET or None, choose_manager=request.user.has_perm(ALL_RENEWALS))
    manager = _chosen_manager(request, form)
    rows, total = selectors.care_customers(manager=manager, today=today)
    return render(request, "contracts/care.html", {
        "filter_form": form, "manager": manager, "no_manager": manager == selectors.NO_MANAGER,
        "rows": rows, "total": total, "today": today})
