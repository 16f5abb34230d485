"""Writes for API tokens and the call log (issue 16 item 2)."""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.services import system_user

from .models import ApiCallLog, ApiToken, Scope

TOKEN_PREFIX = "sd_"


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown to the manager once; only its hash is stored


def token_create(*, name: str, scopes: list[str], created_by, rate_limit_per_minute: int | None = None,
                 now: datetime | None = None) -> IssuedToken:
    """A new token for one integration, with its own system account to act as (see ApiToken)."""
    now = now or timezone.now()
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Name the integration that will use this token.")]}, code="required")
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown:
        raise ValidationError({"scopes": [_("Unknown scope: %(scope)s") % {"scope": ", ".join(unknown)}]},
                              code="invalid_scope")
    if not scopes:
        raise ValidationError({"scopes": [_("Choose at least one scope.")]}, code="required")
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        acting = system_user(username=f"api-{prefix}", display_name=f"API · {name}"[:150])
        token = ApiToken(name=name, prefix=prefix, secret_hash=secret_hash(secret),
                         scopes=[s for s in Scope.values if s in scopes], acting_user=acting, created_by=created_by,
                         created_at=now)
        if rate_limit_per_minute is not None:
            token.rate_limit_per_minute = rate_limit_per_minute
        token.full_clean(exclude=["acting_user", "created_by"])
        token.save()
    return IssuedToken(token=token, secret=secret)


def token_revoke(*, token: ApiToken, revoked_by, now: datetime | None = None) -> ApiToken:
    """Revoke at once (the next call gets 401). Idempotent: the first revocation's time stays."""
    now = now or timezone.now()
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
    token.refresh_from_db(fields=["revoked_at"])
    return token


def token_touch(*, token: ApiToken, now: datetime) -> None:
    """Record use, at most once a minute per token (an UPDATE on every call would serialise them)."""
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() >= 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def call_log_prune(*, now: datetime | None = None, batch: int = 5000, max_batches: int = 200) -> int:
    """Delete call log rows older than API_CALL_LOG_DAYS, in bounded batches (index api_call_at_idx).

    One row per call (up to 120 a minute per token) would grow without end; the log answers "who did
    what lately", so old rows go. Bounded per run: the next daily run finishes a large backlog.
    """
    from django.conf import settings

    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.API_CALL_LOG_DAYS)
    deleted = 0
    for _batch in range(max_batches):
        ids = list(ApiCallLog.objects.filter(at__lt=cutoff).order_by("at").values_list("id", flat=True)[:batch])
        if not ids:
            break
        deleted += ApiCallLog.objects.filter(id__in=ids).delete()[0]
    return deleted


def call_log_write(*, token_id: int | None, method: str, path: str, status_code: int, at: datetime,
                   duration_ms: int, client_ip: str) -> None:
    """One INSERT per API call."""
    ApiCallLog.objects.create(token_id=token_id, method=method[:8], path=path[:300], status_code=status_code, at=at,
                              duration_ms=max(0, duration_ms), client_ip=client_ip[:45])
