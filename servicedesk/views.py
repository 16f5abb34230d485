from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from . import preferences, roles, selectors
from .forms import NotificationPreferencesForm
from .middleware import SESSION_LANGUAGE_KEY
from .params import next_url
from .models import Notification

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
    rows = request.user.notifications.filter(channel__in=preferences.BELL_CHANNELS)
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(request, "servicedesk/notifications.html", {"page": page})


def _bell_menu(request, **extra):
    ctx = {"groups": selectors.bell_groups(request.user), "unread": selectors.bell_unread_count(request.user), **extra}
    return render(request, "servicedesk/_bell_menu.html", ctx)


@login_required
def notifications_bell(request):
    """The bell's dropdown (htmx, loaded when opened): one line per ticket, newest first."""
    return _bell_menu(request)


@login_required
@require_POST
def notifications_mark_read(request):
    count = request.user.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    if request.htmx:
        return _bell_menu(request, marked=count)
    messages.success(request, _("All notifications marked as read."))
    return redirect("notifications")


@login_required
def notification_open(request, pk: int):
    """Follow a bell line: its whole group (e.g. every unread entry about that ticket) is read."""
    note = get_object_or_404(Notification, pk=pk, recipient=request.user)
    request.user.notifications.filter(read_at__isnull=True, group=note.group).update(read_at=timezone.now())
    return redirect(next_url(request, note.url, "notifications"))


@login_required
def notification_preferences(request):
    """How each kind of notification reaches me (bell, e-mail, both, daily digest) and in which language."""
    form = NotificationPreferencesForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        preferences.preferences_save(user=request.user, channels=form.channels())
        language = form.cleaned_data["language"]
        preferences.language_set(user=request.user, language=language)
        request.session[SESSION_LANGUAGE_KEY] = language
        translation.activate(language)
        messages.success(request, _("Your notification settings are saved."))
        response = redirect("notification_preferences")
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language)
        return response
    return render(request, "servicedesk/notification_preferences.html", {"form": form})


@require_POST
def language_switch(request):
    """The top bar's language switch: Django's set_language, and for staff also their profile's
    language, so bell entries, e-mails and reports are written to them in it (issue 11 item 6)."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and translation.check_for_language(language):
        preferences.language_set(user=request.user, language=language)
        request.session[SESSION_LANGUAGE_KEY] = language
    return response


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


def bad_request(request, exception=None):
    """handler400: a request the app cannot take, said in the reader's language (issue 13).

    A body over DATA_UPLOAD_MAX_MEMORY_SIZE (Django's RequestDataTooBig) gets 413 and the limit;
    every other bad request (a NUL byte, too many fields, a malformed value) gets 400.
    """
    from django.conf import settings
    from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent

    if request.path.startswith("/api/v1/"):  # the REST API answers in its own JSON error format
        from api.exceptions import bad_request

        return bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return render(request, "413.html", {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}, status=413)
    too_many = isinstance(exception, (TooManyFieldsSent, TooManyFilesSent))
    return render(request, "400.html", {"too_many": too_many}, status=400)
