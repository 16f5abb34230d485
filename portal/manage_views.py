"""Managers' pages for the customer's door: the public pages' settings and the customer message templates."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from servicedesk.sms import sms_segments
from tickets.models import Ticket

from . import messages as wording
from .forms import PortalSettingsForm, TemplateForm
from .models import MessageEvent, MessageTemplate, PortalSettings

PERM = "portal.manage_portal"


@login_required
@permission_required(PERM, raise_exception=True)
def settings_edit(request):
    cfg = PortalSettings.current()
    form = PortalSettingsForm(request.POST or None, request.FILES or None, instance=cfg)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, _("Saved. The public pages show the new settings now."))
            return redirect("portal:settings")
    return render(request, "portal/manage_settings.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@permission_required(PERM, raise_exception=True)
def template_list(request):
    rows = list(MessageTemplate.objects.all())
    by_key = {(r.event, r.kind): r for r in rows}
    events = []
    for event in MessageEvent:
        general = wording.wording(event.value, "", rows)
        kinds = [{"kind": k, "label": label, "row": by_key.get((event.value, k))} for k, label in Ticket.Kind.choices]
        events.append({"event": event, "wording": general, "kinds": kinds,
                       "essential": event.value in wording.ESSENTIAL})
    return render(request, "portal/manage_templates.html", {"events": events})


def _preview(text: str, language: str) -> dict:
    body = wording.render(text, wording.sample_values(language))
    segments, chars = sms_segments(body)
    return {"text": body, "segments": segments, "chars": chars}


@login_required
@permission_required(PERM, raise_exception=True)
def template_edit(request, event, kind=""):
    if event not in MessageEvent.values or (kind and kind not in Ticket.Kind.values):
        return redirect("portal:templates")
    row = MessageTemplate.objects.filter(event=event, kind=kind).first()
    current = wording.wording(event, kind)
    initial = {"enabled": current.enabled, "text_zh": current.text_zh, "text_en": current.text_en}
    form = TemplateForm(request.POST or None, instance=row, event=event, initial=None if row else initial)
    if request.method == "POST" and request.POST.get("do") == "reset" and row is not None:
        row.delete()
        messages.success(request, _("Back to the built-in wording."))
        return redirect("portal:templates")
    if request.method == "POST" and request.POST.get("do") != "preview" and form.is_valid():
        obj = form.save(commit=False)
        obj.event, obj.kind, obj.updated_by = event, kind, request.user
        obj.save()
        messages.success(request, _("Saved. Messages written from now on use this wording."))
        return redirect("portal:templates")
    zh = form["text_zh"].value() or ""
    en = form["text_en"].value() or ""
    with translation.override("zh-hans"):
        preview_zh = _preview(zh, "zh-hans")
    with translation.override("en"):
        preview_en = _preview(en, "en")
    context = {
        "form": form, "event": MessageEvent(event), "kind": kind,
        "kind_label": Ticket.Kind(kind).label if kind else _("every kind"),
        "variables": [(name, wording.VARIABLES[name]) for name in wording.EVENT_VARIABLES[MessageEvent(event)]],
        "preview_zh": preview_zh, "preview_en": preview_en, "essential": event in wording.ESSENTIAL,
        "customised": row is not None,
    }
    if request.htmx and request.POST.get("do") == "preview":
        return render(request, "portal/_template_preview.html", context)
    status = 400 if request.method == "POST" and request.POST.get("do") != "preview" and form.errors else 200
    return render(request, "portal/manage_template_edit.html", context, status=status)
