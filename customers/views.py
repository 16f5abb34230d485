"""Front-desk pages. Thin: check access, validate the form, call one service, redirect with a message."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from servicedesk import exports
from servicedesk.params import id_param
from servicedesk.permissions import perm_required

from . import privacy, selectors, services
from .forms import AssetForm, ContactForm, CustomerForm, ExportForm, MergeForm, OwnerForm, ServicePlanForm, ServicePlanItemFormSet
from .models import Asset, Customer
from .phones import phone_display
from .selectors import PHONE_LIKE_RE
from .tiers import tier_label
from .templatetags.customers_tags import ticket_url

TIMELINE_PAGE_SIZE = 20


def _form_error_from_service(form, exc: ValidationError):
    if isinstance(exc, services.DuplicatePhone):
        url = reverse("customers:detail", args=[exc.existing.pk])
        form.add_error(
            None,
            format_html(
                '{} <a href="{}" class="alert-link">{}</a>',
                " ".join(exc.messages),
                url,
                _("Open %(name)s") % {"name": exc.existing.name},
            ),
        )
    else:
        form.add_error(None, exc)


def _customer_or_survivor(pk):
    """The customer (merged or not) or 404; callers send a merged duplicate on to its survivor."""
    customer = selectors.customer_resolve(pk)
    if customer is None:
        raise Http404(_("No such customer."))
    return customer


# --- Desk and search ---------------------------------------------------------------------------

@perm_required("customers.view_customer")
def desk(request):
    query = request.GET.get("q", "")
    result = selectors.customers_search(query=query) if query.strip() else None
    # Enter on the search box (a plain GET): a ticket number or a single match goes straight there.
    if result is not None and result.kind == "ticket" and result.ticket is not None:
        return redirect(ticket_url(result.ticket))
    if result is not None and len(result.customers) == 1:
        return redirect("customers:detail", pk=result.customers[0].pk)
    recent = selectors.contacts_logged_today(user=request.user)
    to_confirm = selectors.customers_to_confirm()
    return render(request, "customers/desk.html", {"query": query, "result": result, "recent": recent,
                                                   "to_confirm": to_confirm})


@perm_required("customers.view_customer")
def search(request):
    result = selectors.customers_search(query=request.GET.get("q", ""))
    return render(request, "customers/_search_results.html", {"result": result, "query": result.query})


# --- Customers ----------------------------------------------------------------------------------

@perm_required("customers.view_customer", "customers.add_customer")
def customer_create(request):
    can_name_manager = request.user.has_perm("customers.change_ownership")
    if request.method == "POST":
        form = CustomerForm(request.POST, can_name_manager=can_name_manager)
        if form.is_valid():
            try:
                with transaction.atomic():
                    customer = services.customer_create(
                        phones=form.phone_inputs(),
                        created_by=request.user,
                        channel=form.cleaned_data["channel"],
                        **form.customer_fields(),
                    )
                    if can_name_manager and form.cleaned_data.get("account_manager"):
                        services.customer_set_account_manager(customer=customer, changed_by=request.user,
                                                              account_manager=form.cleaned_data["account_manager"])
            except ValidationError as exc:
                _form_error_from_service(form, exc)
            else:
                messages.success(request, _("Customer %(name)s created.") % {"name": customer.name})
                return redirect("customers:detail", pk=customer.pk)
    else:
        typed = request.GET.get("q", "").strip()[:200]
        initial = {}
        if typed:
            initial["phone1" if PHONE_LIKE_RE.match(typed) else "name"] = typed
        if request.GET.get("channel"):
            initial["channel"] = request.GET["channel"]
        form = CustomerForm(initial=initial, can_name_manager=can_name_manager)
    return render(request, "customers/customer_form.html", {"form": form, "creating": True})


def _inspections(user, customer) -> dict:
    """The service plan's inspection schedule is the key account's maintenance plans (issue 17 §2, §6).
    Imported lazily: maintenance depends on customers, not the reverse."""
    from maintenance import access, selectors as maintenance_selectors

    plans, more = maintenance_selectors.inspection_plans(customer_id=customer.pk)
    return {"plans": plans, "more": more, "can_add": access.can_write_plan(user, customer),
            "can_open": access.can_view_customer_plans(user, customer)}


@perm_required("customers.view_customer")
def customer_detail(request, pk):
    customer = _customer_or_survivor(pk)
    if customer.merged_into_id:
        survivor = selectors.customer_survivor(customer)
        messages.info(request, _("%(old)s was merged into %(new)s.") % {"old": customer.name, "new": survivor.name})
        return redirect("customers:detail", pk=survivor.pk)
    customer = selectors.customer_detail(pk=pk)
    privacy.record_view(user=request.user, customer_id=customer.pk, place="customer_page")
    page = Paginator(selectors.customer_timeline(customer=customer), TIMELINE_PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    context = {"customer": customer, "page": page, "today": today,
               "can_edit_plan": customer.is_key_account and services.service_plan_can_edit(user=request.user, customer=customer),
               "inspections": _inspections(request.user, customer) if customer.is_key_account else None}
    return render(request, "customers/customer_detail.html", context)


@perm_required("customers.view_customer", "customers.change_customer")
def customer_edit(request, pk):
    customer = _customer_or_survivor(pk)
    if customer.merged_into_id:
        return redirect("customers:detail", pk=pk)
    can_name_manager = request.user.has_perm("customers.change_ownership")
    if request.method == "POST":
        form = CustomerForm(request.POST, editing=True, can_name_manager=can_name_manager, customer=customer)
        if form.is_valid():
            try:
                with transaction.atomic():
                    services.customer_update(
                        customer=customer, updated_by=request.user, phones=form.phone_inputs(), **form.customer_fields()
                    )
                    if can_name_manager:
                        services.customer_set_account_manager(customer=customer, changed_by=request.user,
                                                              account_manager=form.cleaned_data.get("account_manager"))
            except ValidationError as exc:
                _form_error_from_service(form, exc)
            else:
                messages.success(request, _("Changes saved."))
                return redirect("customers:detail", pk=customer.pk)
    else:
        form = CustomerForm(initial=CustomerForm.initial_for(customer), editing=True, can_name_manager=can_name_manager,
                            customer=customer)
    return render(request, "customers/customer_form.html", {"form": form, "customer": customer, "creating": False})


@perm_required("customers.view_customer", "customers.change_ownership")
def customer_owner(request, pk):
    customer = _customer_or_survivor(pk)
    if customer.merged_into_id:
        return redirect("customers:detail", pk=pk)
    form = OwnerForm(request.POST if request.method == "POST" else None, initial={"owner": customer.owner_id})
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_change_owner(
                customer=customer, owner=form.cleaned_data["owner"], changed_by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Owner changed."))
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/owner_form.html", {"form": form, "customer": customer})


@perm_required("customers.view_customer", "customers.change_customer")
def customer_verify(request, pk):
    """"Confirm" on a customer who registered online (POST only): the record is verified."""
    if request.method != "POST":
        return redirect("customers:detail", pk=pk)
    customer = _customer_or_survivor(pk)
    try:
        services.customer_verify(customer=customer, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(name)s is confirmed.") % {"name": customer.name})
    return redirect("customers:detail", pk=customer.pk)


@perm_required("customers.view_customer", "customers.merge_customer")
def customer_merge(request, pk):
    customer = _customer_or_survivor(pk)
    if customer.merged_into_id:
        return redirect("customers:detail", pk=pk)
    other = None
    other_id = request.POST.get("other") or request.GET.get("other")
    if id_param(other_id):
        other = Customer.objects.filter(pk=id_param(other_id), merged_into__isnull=True).exclude(pk=customer.pk).first()
    query = request.GET.get("q", "")
    result = selectors.customers_search(query=query) if query.strip() else None
    context = {"customer": customer, "other": other, "query": query, "result": result}
    if other is None:
        return render(request, "customers/merge.html", context)

    form = MergeForm(request.POST if request.method == "POST" else None, first=customer, second=other)
    if request.method == "POST" and form.is_valid():
        survivor, duplicate = form.pair()
        try:
            summary = services.customer_merge(survivor=survivor, duplicate=duplicate, merged_by=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            moved = sum(summary["moved"].values())
            messages.success(
                request,
                _("%(dup)s merged into %(survivor)s: %(n)s records moved.")
                % {"dup": duplicate.name, "survivor": survivor.name, "n": moved},
            )
            return redirect("customers:detail", pk=survivor.pk)
    context.update(
        form=form,
        preview=[
            (customer, services.customer_merge_preview(survivor=other, duplicate=customer)),
            (other, services.customer_merge_preview(survivor=customer, duplicate=other)),
        ],
    )
    return render(request, "customers/merge.html", context)


# --- Assets -------------------------------------------------------------------------------------

@perm_required("customers.view_customer", "customers.add_asset")
def asset_create(request, pk):
    customer = _customer_or_survivor(pk)
    if customer.merged_into_id:
        return redirect("customers:detail", pk=pk)
    form = AssetForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.asset_create(customer=customer, created_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Asset added."))
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/asset_form.html", {"form": form, "customer": customer})


@perm_required("customers.view_customer", "customers.change_asset")
def asset_edit(request, pk):
    asset = get_object_or_404(Asset.objects.select_related("customer"), pk=pk)
    form = AssetForm(request.POST if request.method == "POST" else None, instance=asset)
    if request.method == "POST" and form.is_valid():
        try:
            services.asset_update(asset=asset, updated_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Asset saved."))
            return redirect("customers:detail", pk=asset.customer_id)
    return render(request, "customers/asset_form.html", {"form": form, "customer": asset.customer, "asset": asset})


# --- Contacts -----------------------------------------------------------------------------------

def _ticket_create_url(customer_id, contact_id) -> str | None:
    try:
        base = reverse("tickets:create")
    except NoReverseMatch:
        return None
    return base + f"?customer={customer_id}&contact={contact_id}"


def after_contact_logged(request, contact):
    """Where a saved contact goes: on to the ticket form ("Save and open a ticket"), else its customer."""
    wants_ticket = "save_ticket" in request.POST or request.POST.get("open_ticket")
    if wants_ticket and contact.customer_id and request.user.has_perm("tickets.add_ticket"):
        url = _ticket_create_url(contact.customer_id, contact.pk)
        if url:
            return redirect(url)
    if wants_ticket and not contact.customer_id:
        messages.warning(request, _("A ticket needs a customer: find or create the customer first."))
    if contact.customer_id:
        return redirect("customers:detail", pk=contact.customer_id)
    return redirect("customers:desk")


@perm_required("customers.view_contact", "customers.add_contact")
def contact_create(request):
    """From the desk (with or without a customer) or from a customer page (?customer=<id>)."""
    initial = {}
    customer = None
    customer_id = request.POST.get("customer") or request.GET.get("customer")
    if id_param(customer_id):
        customer = Customer.objects.filter(pk=id_param(customer_id), merged_into__isnull=True).first()
        initial["customer"] = customer
    if request.GET.get("channel"):
        initial["channel"] = request.GET["channel"]
    typed = request.GET.get("q", "").strip()[:200]
    if typed and customer is None:
        initial["caller_phone" if PHONE_LIKE_RE.match(typed) else "caller_name"] = typed
    form = ContactForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            contact = services.contact_log(
                handled_by=request.user,
                customer=data["customer"],
                caller_name=data["caller_name"],
                caller_phone=data["caller_phone"],
                channel=data["channel"],
                direction=data["direction"],
                purpose=data["purpose"],
                notes=data["notes"],
                started_at=data["started_at"],
                ended_at=data["ended_at"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Contact logged."))
            return after_contact_logged(request, contact)
    return render(
        request,
        "customers/contact_form.html",
        {"form": form, "customer": customer, "can_open_ticket": request.user.has_perm("tickets.add_ticket")},
    )


# --- Intake tallies and export ---------------------------------------------------------------------

@perm_required("customers.view_intake_stats")
def tallies(request):
    data = selectors.intake_tallies(user=request.user, with_people=request.user.has_perm("customers.view_staff_intake"))
    chart = {
        "labels": [str(label) for _v, label, _c in data.by_channel],
        "datasets": [
            {"label": str(_("Today")), "data": [c["today"] for _v, _l, c in data.by_channel]},
            {"label": str(_("This week")), "data": [c["week"] for _v, _l, c in data.by_channel]},
            {"label": str(_("This month")), "data": [c["month"] for _v, _l, c in data.by_channel]},
        ],
    }
    return render(request, "customers/tallies.html", {"t": data, "chart": chart})


@perm_required("customers.view_customer", "customers.export_customer")
def export(request):
    form = ExportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        region = data["region"]
        qs = selectors.customers_for_export(tier=data["tier"], region_id=region.pk if region else None, key_accounts=data["key_accounts"])
        filters = {"tier": data["tier"], "region": region.code if region else "", "key_accounts": data["key_accounts"]}
        record = services.customer_export_record(exported_by=request.user, filters=filters, row_count=qs.count())
        # PIPL (issue 19): full numbers and addresses only for those who may see personal data in bulk;
        # every customer in the file is in the access log ("who looked at this customer").
        full = privacy.sees_full(request.user, "export")
        show_phone = phone_display if full else privacy.mask_phone
        show_address = (lambda a: a) if full else privacy.mask_address
        privacy.record_export(user=request.user, customer_ids=qs.values_list("pk", flat=True).iterator(chunk_size=2000),
                              ref=f"export #{record.pk}")
        table = exports.Table(
            title=_("Customers"),
            headers=[_("ID"), _("Kind"), _("Name"), _("Phone numbers"), _("Email"), _("Address"), _("Region"),
                     _("Service tier"), _("Key account"), _("Owner"), _("First contact"), _("First contact channel")],
            rows=([
                c.pk, c.get_kind_display(), c.name, " / ".join(show_phone(p.number) for p in c.phones.all()),
                c.email if full else privacy.mask_email(c.email),
                show_address(c.address), str(c.region) if c.region else "", c.get_tier_display(), c.is_key_account,
                (c.owner.get_full_name() or c.owner.username) if c.owner else "", c.first_contact_at,
                c.get_first_contact_channel_display(),
            ] for c in qs.iterator(chunk_size=2000)),
        )
        parts = [(data["tier"], tier_label(data["tier"])) if data["tier"] else ("", ""),
                 (region.code, str(region)) if region else ("", ""),
                 ("key-accounts", _("Key accounts")) if data["key_accounts"] else ("", ""),
                 exports.period_part(timezone.localdate())]
        name = exports.FileName.build(title=_("Customers"), slug="customers", parts=parts,
                                      ext=exports.requested_format(data.get("fmt")))
        return exports.response(table=table, fmt=exports.requested_format(data.get("fmt")), filename=name)
    return render(request, "customers/export.html", {"form": form})


@perm_required("customers.view_customer")
def service_plan_edit(request, pk):
    """A key account's service plan (issue 17): free text and structured items, edited by its account
    manager, supervisors and managers."""
    customer = _customer_or_survivor(pk)
    if customer.merged_into_id:
        return redirect("customers:detail", pk=selectors.customer_survivor(customer).pk)
    if not services.service_plan_can_edit(user=request.user, customer=customer):
        raise PermissionDenied
    plan = getattr(customer, "service_plan", None) if hasattr(customer, "service_plan") else None
    if request.method == "POST":
        form = ServicePlanForm(request.POST)
        items = ServicePlanItemFormSet(request.POST, prefix="items")
        if form.is_valid() and items.is_valid():
            rows = [f.cleaned_data for f in items if f.cleaned_data.get("title")]
            try:
                services.service_plan_save(customer=customer, actor=request.user,
                                           summary=form.cleaned_data["summary"], items=rows)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Service plan saved."))
                return redirect("customers:detail", pk=customer.pk)
    else:
        form = ServicePlanForm(initial={"summary": plan.summary if plan else ""})
        initial = [{"kind": i.kind, "title": i.title, "details": i.details} for i in plan.items.all()] if plan else []
        items = ServicePlanItemFormSet(initial=initial, prefix="items")
    return render(request, "customers/service_plan_form.html", {"form": form, "items": items, "customer": customer})


# --- Personal data (issue 19, PIPL) ----------------------------------------------------------------

@perm_required("customers.view_customer")
def reveal(request, pk):
    """One click on a masked number or address: the full value, and a line in the access log."""
    from django.http import HttpResponse, HttpResponseNotAllowed

    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    customer = get_object_or_404(Customer.objects.only("pk", "address"), pk=pk)
    what = "address" if request.GET.get("what") == "address" else "phone"
    place = request.GET.get("place", "")
    if place not in privacy.PLACE_LABELS:
        place = "search"
    ref = (request.GET.get("ref") or "")[:40]
    if what == "address":
        value = customer.address
        html = format_html("<span>{}</span>", value)
    elif request.GET.get("call"):
        # a call from this customer, in the call list: the number they called from
        from telephony.models import Call

        if not request.user.has_perm("telephony.view_call"):
            raise PermissionDenied
        number = (Call.objects.filter(pk=id_param(request.GET.get("call")), customer=customer)
                  .values_list("caller_e164", flat=True).first())
        if not number:
            raise Http404
        html = format_html('<a href="tel:{}">{}</a>', number, phone_display(number))
    else:
        phone = customer.phones.filter(pk=id_param(request.GET.get("phone"))).first()
        if phone is None:
            raise Http404
        html = format_html('<a href="tel:{}">{}</a>', phone.number, phone_display(phone.number))
    privacy.record_reveal(user=request.user, customer_id=customer.pk, what=what, place=place, ref=ref)
    return HttpResponse(html)


@perm_required("customers.view_personaldataaccess")
def access_log(request):
    """Who looked at a customer's personal data, and when: the customer page's record views, reveals and
    exports, for a date range, optionally one customer or one person (issue 19 item 10)."""
    from .forms import AccessLogForm

    form = AccessLogForm(request.GET or None)
    rows = selectors.personal_data_accesses(**(form.cleaned_data if form.is_valid() else AccessLogForm.defaults()))
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    for row in page:
        row.place_label = privacy.PLACE_LABELS.get(row.place, row.place)
    customer = form.cleaned_data.get("customer") if form.is_valid() else None
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "customers/access_log.html", {"form": form, "page": page, "customer": customer,
                                                         "query_string": query.urlencode()})


@perm_required("customers.view_customer", "customers.handle_subject_request")
def subject_request(request, pk):
    """A person's request about their data (issue 19 item 11): download everything held about them, or erase
    it — the page shows the dry run (what would change, per table) before the manager confirms."""
    from django.http import HttpResponse

    from . import subject
    from .forms import EraseForm

    customer = get_object_or_404(Customer, pk=pk)
    if customer.merged_into_id:
        return redirect("customers:subject", pk=selectors.customer_survivor(customer).pk)
    do = request.POST.get("do") if request.method == "POST" else None
    form = EraseForm(request.POST if do == "erase" else None)
    if do == "export":
        data = subject.subject_export(customer=customer, actor=request.user)
        response = HttpResponse(data, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="customer-{customer.pk}-personal-data.zip"'
        return response
    if do == "erase" and not customer.erased_at and form.is_valid():
        summary = subject.subject_erase(customer=customer, actor=request.user, reason=form.cleaned_data["reason"],
                                        dry_run=False)
        messages.success(request, _("Personal data erased: %(values)s values in %(columns)s columns, %(phones)s phone "
                                    "numbers and %(files)s files. Tickets, callbacks and surveys stay, anonymised, so "
                                    "the figures are unchanged.") % {
            "values": sum(summary["fields"].values()), "columns": len(summary["fields"]),
            "phones": summary["phones"], "files": summary["files"]})
        return redirect("customers:detail", pk=customer.pk)
    # The dry run reads every text column of every table for the person's numbers (about 2 s at 200,000
    # tickets on PostgreSQL): on request, and again before a refused erasure, never on simply opening the page.
    preview = None if customer.erased_at or do not in ("preview", "erase") else subject.subject_erase(
        customer=customer, actor=request.user, reason="", dry_run=True)
    rows = sorted(preview["fields"].items()) if preview else []
    return render(request, "customers/subject.html", {"customer": customer, "form": form, "preview": preview,
                                                      "rows": rows, "values": sum(n for _k, n in rows)})


@perm_required("customers.manage_retention")
def retention(request):
    """How long personal data is kept (issue 19 item 12): the manager's policy, what is due now, and the
    monthly runs with what each removed."""
    from . import retention as service
    from .forms import RetentionForm
    from .models import RetentionPolicy, RetentionRun

    policy = RetentionPolicy.current()
    form = RetentionForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.updated_at, saved.updated_by = timezone.now(), request.user
        saved.save()
        messages.success(request, _("Retention saved. The next run applies it (hourly at :50; once a month)."))
        return redirect("customers:retention")
    runs = Paginator(RetentionRun.objects.all(), 24).get_page(request.GET.get("page"))
    return render(request, "customers/retention.html", {"form": form, "policy": policy, "page": runs,
                                                        "due": service.due_counts(), "cap": 10_000})


# --- Importing customers (issue 19 item 8) -------------------------------------------------------------

@perm_required("customers.import_customers")
def import_list(request):
    from .forms import ImportUploadForm
    from .importer import import_start
    from .models import CustomerImport

    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            imp = import_start(f=form.cleaned_data["file"], actor=request.user)
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            return redirect("customers:import_detail", pk=imp.pk)
    page = Paginator(CustomerImport.objects.select_related("created_by"), 20).get_page(request.GET.get("page"))
    return render(request, "customers/import_list.html", {"form": form, "page": page})


def _import_for(request, pk):
    from .models import CustomerImport

    return get_object_or_404(CustomerImport.objects.select_related("created_by"), pk=pk)


@perm_required("customers.import_customers")
def import_detail(request, pk):
    """Map the columns, check every row (dry run), then import; the page follows the progress."""
    from .forms import ImportMappingForm
    from .importer import import_check_queue, import_run_queue
    from .models import CustomerImport, ImportIssue

    imp = _import_for(request, pk)
    S = CustomerImport.State
    form = None
    if imp.state in (S.UPLOADED, S.CHECKED):
        form = ImportMappingForm(request.POST if request.POST.get("do") == "check" else None, headers=imp.headers,
                                 initial_mapping=imp.mapping)
    if request.method == "POST":
        do = request.POST.get("do")
        if do == "check" and form is not None and form.is_valid():
            import_check_queue(imp=imp, mapping=form.mapping())
            messages.info(request, _("Checking every row. Nothing is imported yet."))
            return redirect("customers:import_detail", pk=imp.pk)
        if do == "import" and imp.state == S.CHECKED:
            try:
                import_run_queue(imp=imp)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.info(request, _("Importing %(n)s rows in the background.") % {"n": imp.valid})
                return redirect("customers:import_detail", pk=imp.pk)
    issues = Paginator(ImportIssue.objects.filter(customer_import=imp).select_related("existing")
                       .order_by("row", "id"), 50).get_page(request.GET.get("page"))
    return render(request, "customers/import_detail.html", {"imp": imp, "form": form, "page": issues, "S": S})


@perm_required("customers.import_customers")
def import_status(request, pk):
    """The progress panel, polled by htmx while a check or an import runs."""
    from .models import CustomerImport

    imp = _import_for(request, pk)
    response = render(request, "customers/_import_status.html", {"imp": imp, "S": CustomerImport.State})
    if imp.state not in (CustomerImport.State.CHECKING, CustomerImport.State.IMPORTING):
        response["HX-Refresh"] = "true"  # finished: the whole page shows the outcome and its rows
    return response


@perm_required("customers.import_customers")
def import_log(request, pk):
    from .importer import import_log_headers, import_log_rows

    imp = _import_for(request, pk)
    table = exports.Table(title=_("Import log"), headers=import_log_headers(), rows=import_log_rows(imp))
    name = exports.FileName.build(title=_("Import log"), slug="import-log", parts=[(str(imp.pk), str(imp.pk))],
                                  ext="csv")
    return exports.response(table=table, fmt="csv", filename=name)
