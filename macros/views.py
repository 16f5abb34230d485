"""Canned replies and macros: the management page, the editor, and the reply box's picker."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicedesk.permissions import perm_required
from tickets.models import Ticket

from . import selectors, services
from .forms import MacroForm
from .models import Macro
from .variables import VARIABLES, reply_values, render as render_text, sample_values

PER_PAGE = 25


@perm_required("tickets.reply_ticket")
def macro_list(request):
    q = request.GET.get("q", "")
    qs = selectors.macro_search(request.user, q)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    rows = [(m, selectors.action_summary(m), services.can_edit(request.user, m)) for m in page.object_list]
    return render(request, "macros/list.html", {
        "page": page, "rows": rows, "q": q, "query_string": f"q={q}" if q else "",
        "can_share": request.user.has_perm("macros.manage_shared_macros"),
    })


def _editor(request, macro: Macro, *, shared: bool):
    form = MacroForm(request.POST or None, instance=macro)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.macro_save(macro=form.save(commit=False), actor=request.user,
                                        tags=form.cleaned_data["add_tags"], shared=shared)
        except ValidationError as e:
            form.add_error(None, e)
        else:
            messages.success(request, _("“%(name)s” saved.") % {"name": saved.name})
            return redirect("macros:list")
    samples = [(label, render_text(getattr(macro, field) if macro.pk else "", sample_values(lang)))
               for field, lang, label in (("text_zh", "zh-hans", _("text (Chinese)")), ("text_en", "en", _("text (English)")))]
    return render(request, "macros/form.html", {
        "form": form, "macro": macro, "shared": shared, "variables": VARIABLES.items(), "samples": samples,
    }, status=400 if request.method == "POST" else 200)


@perm_required("tickets.reply_ticket")
def macro_create(request):
    shared = request.GET.get("shared") == "1" or request.POST.get("shared") == "1"
    if shared and not request.user.has_perm("macros.manage_shared_macros"):
        raise PermissionDenied
    return _editor(request, Macro(), shared=shared)


@perm_required("tickets.reply_ticket")
def macro_edit(request, pk):
    macro = get_object_or_404(Macro, pk=pk, active=True)
    if not services.can_edit(request.user, macro):
        raise PermissionDenied
    return _editor(request, macro, shared=macro.shared)


@require_POST
@perm_required("tickets.reply_ticket")
def macro_retire(request, pk):
    macro = get_object_or_404(Macro, pk=pk, active=True)
    services.macro_retire(macro=macro, actor=request.user)
    messages.success(request, _("“%(name)s” retired: it is no longer offered.") % {"name": macro.name})
    return redirect("macros:list")


def _ticket_for(request, ticket_pk) -> Ticket:
    if not request.user.has_perm("tickets.view_ticket"):
        raise PermissionDenied
    return get_object_or_404(Ticket.objects.select_related("customer"), pk=ticket_pk)


@perm_required("tickets.reply_ticket")
def macro_pick(request, ticket_pk):
    """The reply box's search (JSON): name, shared or mine, the actions in words."""
    _ticket_for(request, ticket_pk)
    found = selectors.picker(request.user, request.GET.get("q", ""))
    return JsonResponse({
        "more": found["more"],
        "more_text": _("More match: type more of the name.") if found["more"] else "",
        "rows": [{"id": m.pk, "name": m.name, "shared": m.shared, "actions": selectors.action_summary(m),
                  "has_text": m.has_text} for m in found["rows"]],
    })


@perm_required("tickets.reply_ticket")
def macro_fill(request, ticket_pk, pk):
    """One macro's text filled in for this ticket, in the customer's language, for the reply box."""
    ticket = _ticket_for(request, ticket_pk)
    macro = get_object_or_404(selectors.macros_for(request.user).select_related("assign_to")
                              .prefetch_related("add_tags"), pk=pk)
    template, language = macro.text_for(ticket.customer.preferred_language or "zh-hans")
    text = render_text(template, reply_values(ticket, actor=request.user, language=language)) if template else ""
    return JsonResponse({"id": macro.pk, "name": macro.name, "text": text, "public": macro.public,
                         "has_text": macro.has_text, "actions": selectors.action_summary(macro)})
