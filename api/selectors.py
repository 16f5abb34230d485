"""Reads for API tokens and their call log."""
from django.db.models import F, QuerySet

from .models import ApiCallLog, ApiToken
from .services import TOKEN_PREFIX, secret_hash


def token_for_secret(secret: str) -> ApiToken | None:
    """The live or revoked token with this secret (one query by the hash's unique index), or None."""
    secret = (secret or "").strip()
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    return ApiToken.objects.select_related("acting_user").filter(secret_hash=secret_hash(secret)).first()


def tokens_for_listing() -> QuerySet:
    return ApiToken.objects.select_related("created_by").order_by(F("revoked_at").asc(nulls_first=True), "-created_at")


def token_calls(*, token: ApiToken) -> QuerySet:
    """The token's calls, newest first (index api_call_token_idx)."""
    return ApiCallLog.objects.filter(token=token).order_by("-id")
