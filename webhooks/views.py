"""The manager's webhook pages: list, add/edit, the secret, the deliveries log, replay and test events."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicedesk.models import OutboxMessage

from . import selectors, services
from .forms import WebhookForm
from .models import Webhook, WebhookDelivery

PERM = "webhooks.manage_webhooks"


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
@permission_required(PERM, raise_exception=True)
def webhook_list(request):
    page = Paginator(selectors.webhooks_list(), 30).get_page(request.GET.get("page"))
    return render(request, "webhooks/list.html", {"page": page})


@login_required
@permission_required(PERM, raise_exception=True)
def webhook_create(request):
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            webhook = services.webhook_create(name=form.cleaned_data["name"], url=form.cleaned_data["url"],
                                              events=form.cleaned_data["events"], created_by=request.user)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Webhook registered. Give its signing secret to the receiving system."))
            return redirect("webhooks:detail", pk=webhook.pk)
    return render(request, "webhooks/form.html", {"form": form, "webhook": None},
                  status=400 if form.errors else 200)


@login_required
@permission_required(PERM, raise_exception=True)
def webhook_edit(request, pk: int):
    webhook = get_object_or_404(Webhook, pk=pk)
    initial = {"name": webhook.name, "url": webhook.url, "events": webhook.event_list, "active": webhook.active}
    form = WebhookForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.webhook_update(webhook=webhook, name=form.cleaned_data["name"], url=form.cleaned_data["url"],
                                    events=form.cleaned_data["events"], active=form.cleaned_data["active"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Webhook saved."))
            return redirect("webhooks:detail", pk=webhook.pk)
    return render(request, "webhooks/form.html", {"form": form, "webhook": webhook},
                  status=400 if form.errors else 200)


@login_required
@permission_required(PERM, raise_exception=True)
def webhook_detail(request, pk: int):
    webhook = get_object_or_404(Webhook.objects.select_related("created_by"), pk=pk)
    page = Paginator(selectors.webhook_deliveries(webhook=webhook), 50).get_page(request.GET.get("page"))
    return render(request, "webhooks/detail.html", {"webhook": webhook, "page": page})


@login_required
@permission_required(PERM, raise_exception=True)
@require_POST
def webhook_rotate(request, pk: int):
    webhook = get_object_or_404(Webhook, pk=pk)
    services.webhook_rotate_secret(webhook=webhook)
    messages.success(request, _("New signing secret made. The old one no longer verifies: update the receiver now."))
    return redirect("webhooks:detail", pk=pk)


@login_required
@permission_required(PERM, raise_exception=True)
@require_POST
def webhook_toggle(request, pk: int):
    webhook = get_object_or_404(Webhook, pk=pk)
    services.webhook_set_active(webhook=webhook, active=not webhook.active)
    if webhook.active:
        messages.success(request, _("Webhook activated."))
    else:
        messages.success(request, _("Webhook deactivated. Deliveries not yet sent will fail with that reason."))
    return redirect("webhooks:detail", pk=pk)


@login_required
@permission_required(PERM, raise_exception=True)
@require_POST
def webhook_test(request, pk: int):
    webhook = get_object_or_404(Webhook, pk=pk)
    try:
        services.webhook_send_test(webhook=webhook, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Test event queued. Its attempt appears below within a minute."))
    return redirect("webhooks:detail", pk=pk)


@login_required
@permission_required(PERM, raise_exception=True)
@require_POST
def delivery_replay(request, pk: int):
    """Replay the delivery (outbox message) that a log row belongs to."""
    row = get_object_or_404(WebhookDelivery.objects.filter(message__isnull=False), pk=pk)
    message = get_object_or_404(OutboxMessage, pk=row.message_id, channel=OutboxMessage.Channel.WEBHOOK)
    try:
        services.webhook_replay(message=message, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Replay queued with a new delivery id."))
    if row.webhook_id:
        return redirect("webhooks:detail", pk=row.webhook_id)
    return redirect("webhooks:list")
