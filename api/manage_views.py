"""Managers' pages for API tokens: list, create (the secret is shown once), revoke, and each token's call log."""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import TokenForm
from .models import ApiToken, Scope

PERM = "api.manage_tokens"
LOG_PAGE = 50


@login_required
@permission_required(PERM, raise_exception=True)
def token_list(request):
    page = Paginator(selectors.tokens_for_listing(), 50).get_page(request.GET.get("page"))
    return render(request, "api/tokens.html", {"page": page, "docs_url": reverse("api:docs")})


@login_required
@permission_required(PERM, raise_exception=True)
def token_create(request):
    form = TokenForm(request.POST or None, initial={"rate_limit_per_minute": settings.API_RATE_LIMIT_PER_MINUTE})
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.token_create(created_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            # Shown on this response only (no redirect: the secret must not sit in a session or a URL).
            return render(request, "api/token_created.html", {"token": issued.token, "secret": issued.secret})
    return render(request, "api/token_form.html", {"form": form}, status=400 if form.errors else 200)


def _before(request) -> int | None:
    raw = request.GET.get("before", "")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 2**63 else None


@login_required
@permission_required(PERM, raise_exception=True)
def token_detail(request, pk):
    if pk >= 2**63:
        return render(request, "404.html", status=404)
    token = get_object_or_404(ApiToken.objects.select_related("created_by", "acting_user"), pk=pk)
    calls = selectors.token_calls(token=token)
    before = _before(request)
    if before is not None:
        calls = calls.filter(id__lt=before)
    rows = list(calls[:LOG_PAGE + 1])  # one more than shown tells whether there are older ones
    older = rows[LOG_PAGE - 1].pk if len(rows) > LOG_PAGE else None
    return render(request, "api/token_detail.html", {
        "token": token, "calls": rows[:LOG_PAGE], "older": older, "is_first_page": before is None,
        "scope_labels": [label for value, label in Scope.choices if value in token.scopes],
    })


@login_required
@permission_required(PERM, raise_exception=True)
@require_POST
def token_revoke(request, pk):
    if pk >= 2**63:
        return redirect("api:tokens")
    token = get_object_or_404(ApiToken, pk=pk)
    services.token_revoke(token=token, revoked_by=request.user)
    messages.success(request, _("Token “%(name)s” is revoked: its next call gets 401.") % {"name": token.name})
    return redirect("api:token_detail", pk=token.pk)
