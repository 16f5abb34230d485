from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import roles

# Where each role lands after signing in; an area registers its page by providing the URL name.
ROLE_HOME = {
    roles.FRONT_DESK: "customers:desk",
    roles.AGENT: "tickets:queue",
    roles.SUPERVISOR: "sla:dashboard",
    roles.TECHNICIAN: "dispatch:my_jobs",
    roles.MANAGER: "sla:dashboard",
}


@login_required
def home(request):
    role = roles.primary_role(request.user)
    target = ROLE_HOME.get(role)
    if target:
        try:
            return redirect(reverse(target))
        except NoReverseMatch:
            pass
    return render(request, "servicedesk/home.html", {"role": role})


@login_required
def notifications(request):
    page = Paginator(request.user.notifications.all(), 30).get_page(request.GET.get("page"))
    return render(request, "servicedesk/notifications.html", {"page": page})


@login_required
@require_POST
def notifications_mark_read(request):
    request.user.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    return redirect("notifications")


@never_cache
def healthz(request):
    """For load balancers and monitors: no login, no secrets, JSON; 503 when something needs acting on."""
    from django.http import JsonResponse

    from .health import health

    report = health()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


@login_required
def outbox_undeliverable(request):
    """The messages the outbox gave up on (after OUTBOX_MAX_ATTEMPTS), with the reason and a retry."""
    from django.core.exceptions import PermissionDenied

    from .selectors import outbox_undeliverable as undeliverable

    if not request.user.has_perm("servicedesk.view_outboxmessage"):
        raise PermissionDenied
    page = Paginator(undeliverable(), 30).get_page(request.GET.get("page"))
    return render(request, "servicedesk/outbox_undeliverable.html", {
        "page": page, "can_retry": request.user.has_perm("servicedesk.change_outboxmessage")})


@login_required
@require_POST
def outbox_retry(request, pk: int):
    from django.contrib import messages
    from django.core.exceptions import PermissionDenied
    from django.utils.translation import gettext as _

    from .outbox import outbox_retry as retry

    if not request.user.has_perm("servicedesk.change_outboxmessage"):
        raise PermissionDenied
    if retry(message_id=pk, actor=request.user):
        messages.success(request, _("Queued again. It is sent within a minute if the address and the gateway work."))
    else:
        messages.info(request, _("Nothing to retry: this message is no longer undeliverable."))
    return redirect("outbox_undeliverable")
