"""The caller's card: polled by the desk pages of people with an extension, logged or dismissed from there."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers.views import after_contact_logged
from servicedesk.permissions import perm_required

from . import selectors, services
from .forms import CallLogForm
from .models import Call

# htmx stops polling when an answer has this status: a person without an extension polls once per page.
STOP_POLLING = 286


@perm_required(*services.CARD_PERMS)
def pop(request):
    """The poll: 204 when what the page shows is still right, the card when a call arrived or ended."""
    extension, state = selectors.pop_probe(user=request.user)
    if not extension:
        return HttpResponse(status=STOP_POLLING)
    if state == request.GET.get("shown", ""):
        return HttpResponse(status=204)
    call = selectors.call_pending_for(user=request.user)
    state = selectors.pop_state(call)
    if call is None:
        return render(request, "telephony/_pop.html", {"card": None, "state": ""})
    return render(request, "telephony/_pop.html", {"card": selectors.caller_card(call=call), "state": state})


@perm_required(*services.CARD_PERMS)
def call_log(request, pk: int):
    call = get_object_or_404(Call.objects.select_related("customer", "contact"), pk=pk)
    if call.contact_id:
        messages.info(request, _("This call is already logged."))
        return redirect("customers:detail", pk=call.contact.customer_id) if call.contact.customer_id else redirect("customers:desk")
    form = CallLogForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.call_log(call=call, handled_by=request.user, purpose=form.cleaned_data["purpose"],
                                        notes=form.cleaned_data["notes"], caller_name=form.cleaned_data["caller_name"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if contact.ended_at:
                messages.success(request, _("Call logged with the phone system's times."))
            else:
                messages.success(request, _("Call logged. Its end time is added when the phone system reports it."))
            return after_contact_logged(request, contact)
    return render(request, "telephony/call_log.html",
                  {"form": form, "call": call, "can_open_ticket": request.user.has_perm("tickets.add_ticket")},
                  status=400 if form.errors else 200)


@require_POST
@perm_required(*services.CARD_PERMS)
def call_dismiss(request, pk: int):
    call = get_object_or_404(Call, pk=pk, user=request.user)
    services.call_dismiss(call=call, user=request.user)
    if request.htmx:
        return render(request, "telephony/_pop.html", {"card": None, "state": ""})
    return redirect(request.POST.get("next") or "customers:desk")


@perm_required("telephony.view_call")
def call_list(request):
    """Every call the phone system reported, newest first: who saw it, and whether it was logged."""
    page = Paginator(selectors.calls_recent(), 30).get_page(request.GET.get("page"))
    return render(request, "telephony/call_list.html", {"page": page})
