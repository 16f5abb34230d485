"""Rate limits for the public pages (survey, FAQ votes), kept in the Django cache (Redis in production)."""
from django.core.cache import cache
from django.utils import timezone


def client_ip(request) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is set by the client unless a trusted proxy rewrites it,
    # so behind a proxy, configure the proxy to pass the real address in REMOTE_ADDR.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def over_limit(*, scope: str, ident: str, limit: int, window: int) -> bool:
    """Count one hit for `ident` in the current fixed window; True once it exceeds `limit`."""
    bucket = int(timezone.now().timestamp() // window)
    key = f"rl:{scope}:{ident}:{bucket}"
    if cache.add(key, 1, timeout=window + 5):
        return False
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window + 5)
        return False
    return count > limit
