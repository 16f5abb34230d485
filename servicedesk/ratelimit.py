"""Rate limits for the public pages (survey, FAQ votes), kept in the Django cache (Redis in production)."""
import ipaddress

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone


def _address(text: str) -> str | None:
    """A normalised IP address from one X-Forwarded-For entry or REMOTE_ADDR, or None."""
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 203.0.113.7:443
        text = text.split(":", 1)[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return str(ip)


def client_ip(request) -> str:
    """The visitor's address, as far as it can be trusted.

    With TRUSTED_PROXY_COUNT = 0 (no proxy in front) it is REMOTE_ADDR and X-Forwarded-For is ignored:
    anyone can send that header. Behind N proxies, each appends the address it received the request
    from, so the entry N places from the right was written by the outermost trusted proxy: the
    client. Entries further left came from the client itself and are ignored, so a visitor can
    neither pose as someone else nor hide behind random addresses; and every visitor gets their own
    address instead of the proxy's, so one cannot exhaust a limit that all share. A header with
    fewer entries than trusted proxies (a request that bypassed them) falls back to REMOTE_ADDR.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted:
        hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= trusted:
            address = _address(hops[-trusted])
            if address:
                return address
    return _address(remote) or remote or "unknown"


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
