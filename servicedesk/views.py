from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
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


def bad_request(request, exception=None):
    """handler400: a request the app cannot take, said in the reader's language (issue 13).

    A body over DATA_UPLOAD_MAX_MEMORY_SIZE (Django's RequestDataTooBig) gets 413 and the limit;
    every other bad request (a NUL byte, too many fields, a malformed value) gets 400.
    """
    from django.conf import settings
    from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent

    if isinstance(exception, RequestDataTooBig):
        return render(request, "413.html", {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}, status=413)
    too_many = isinstance(exception, (TooManyFieldsSent, TooManyFilesSent))
    return render(request, "400.html", {"too_many": too_many}, status=400)
