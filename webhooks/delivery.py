"""Sending one webhook delivery: the outbox's channel sender for ``channel="webhook"`` (servicedesk/outbox.py).

The outbox claims the row, calls :func:`webhook_send`, and marks the row by what it raises:

* returns — the receiver answered 2xx: sent;
* :class:`~followups.delivery.PermanentDeliveryError` — retrying cannot help: 410 Gone or another 4xx
  except 408/429, a redirect (not followed: the registered URL is wrong), the webhook was deactivated
  or deleted, or its address is refused (private network in production): failed at once, with the reason;
* :class:`~followups.delivery.DeliveryError` — 5xx, 408, 429, a timeout or a connection error: tried
  again with the outbox's back-off (1, 2, 4 … 60 min, ``OUTBOX_MAX_ATTEMPTS`` attempts).

Each attempt is logged as a WebhookDelivery row (status, first 500 characters of the answer, duration).

Signature (the Stripe/GitHub scheme): ``X-ServiceDesk-Signature: sha256=<hex>`` where ``<hex>`` is the
HMAC-SHA256, keyed with the webhook's secret, of ``"{X-ServiceDesk-Timestamp}.{raw body}"``. The
timestamp is unix seconds at sending time: a receiver recomputes the HMAC over the raw bytes it got,
compares in constant time, and rejects a timestamp older than a few minutes (a replayed capture).
"""
import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from followups.delivery import DeliveryError, PermanentDeliveryError

USER_AGENT = "ServiceDesk-Webhooks/1"
EXCERPT = 500


def timeout_seconds() -> float:
    return float(getattr(settings, "WEBHOOKS_TIMEOUT_SECONDS", 10))


def allow_private() -> bool:
    """Loopback and private addresses are refused unless WEBHOOKS_ALLOW_PRIVATE (default: DEBUG) is on:
    a manager's form must not become a way to make the server call its own network (SSRF)."""
    return bool(getattr(settings, "WEBHOOKS_ALLOW_PRIVATE", settings.DEBUG))


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The value of X-ServiceDesk-Signature for this body at this timestamp."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, tolerance: int = 300,
           now: float | None = None) -> bool:
    """What a receiver does (README "Webhooks"): the signature matches and the timestamp is recent."""
    try:
        age = abs((now if now is not None else time.time()) - int(timestamp))
    except (TypeError, ValueError):
        return False
    return age <= tolerance and hmac.compare_digest(sign(secret, timestamp, body), signature or "")


class AddressRefused(ValueError):
    pass


def _blocked(ip: str) -> bool:
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    return (addr.is_private or addr.is_loopback or addr.is_link_local or addr.is_multicast or addr.is_reserved
            or addr.is_unspecified)


def check_url(url: str) -> None:
    """Raise AddressRefused (with a translated reason) for a URL we will not call."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AddressRefused(_("Only http:// and https:// addresses can receive webhooks."))
    if allow_private():
        return
    host = parts.hostname
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError, ValueError):
        raise AddressRefused(_("The host name %(host)s cannot be resolved.") % {"host": host[:100]}) from None
    if any(_blocked(info[4][0]) for info in infos):
        raise AddressRefused(_("%(host)s is a loopback or private-network address; webhooks go to public "
                               "addresses only.") % {"host": host[:100]})


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # the 3xx surfaces as an HTTPError: we sign for one address, not wherever it points


# No proxy from the environment (a proxy would also bypass the address check); no redirects.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)


def _excerpt(raw: bytes) -> str:
    return raw[:EXCERPT * 4].decode("utf-8", "replace")[:EXCERPT]


def _log(message, webhook, event: str, replay_of: str, **fields) -> None:
    from .models import WebhookDelivery

    WebhookDelivery.objects.create(webhook=webhook, message_id=message.pk, delivery_id=message.idempotency_key,
                                   event=event, attempt=message.attempts, replay_of=replay_of,
                                   at=timezone.now(), **fields)


def webhook_send(message) -> None:
    """POST one outbox row to its webhook, signed; log the attempt; raise to make the outbox retry or give up."""
    from .models import Webhook

    event = message.subject
    webhook = Webhook.objects.filter(pk=int(message.to) if message.to.isdigit() else None).first()
    try:
        payload_id = json.loads(message.body).get("id", "")
    except (ValueError, AttributeError):
        payload_id = ""
    # A replay carries the original delivery's payload (its id) under a new delivery id.
    replay_of = payload_id if payload_id and payload_id != message.idempotency_key else ""
    if webhook is None:
        _log(message, None, event, replay_of, error="webhook deleted")
        raise PermanentDeliveryError("The webhook was deleted; nothing to deliver to.")
    if not webhook.active:
        _log(message, webhook, event, replay_of, error="webhook deactivated")
        raise PermanentDeliveryError("The webhook was deactivated; pending deliveries are not sent.")
    try:
        check_url(webhook.url)
    except AddressRefused as exc:
        _log(message, webhook, event, replay_of, error=str(exc)[:500])
        raise PermanentDeliveryError(str(exc)) from None
    body = message.body.encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-ServiceDesk-Event": event,
        "X-ServiceDesk-Delivery": message.idempotency_key,
        "X-ServiceDesk-Timestamp": str(timestamp),
        "X-ServiceDesk-Signature": sign(webhook.secret, timestamp, body),
    }
    if replay_of:
        headers["X-ServiceDesk-Replay-Of"] = replay_of
    request = urllib.request.Request(webhook.url, data=body, headers=headers, method="POST")
    started = time.monotonic()
    status, excerpt, error = None, "", ""
    try:
        with _opener.open(request, timeout=timeout_seconds()) as response:
            status = response.status
            excerpt = _excerpt(response.read(EXCERPT * 4))
    except urllib.error.HTTPError as exc:
        status = exc.code
        try:
            excerpt = _excerpt(exc.read(EXCERPT * 4))
        except Exception:  # noqa: BLE001 — the body of an error answer is only for the log
            excerpt = ""
        finally:
            exc.close()
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:  # refused, reset, DNS,
        # timeout, a garbled answer
        reason = getattr(exc, "reason", exc)
        error = f"{type(reason).__name__}: {reason}"[:500]
    duration = int((time.monotonic() - started) * 1000)
    _log(message, webhook, event, replay_of, status_code=status, response_excerpt=excerpt, duration_ms=duration,
         error=error)
    if error:
        raise DeliveryError(error)
    if 200 <= status < 300:
        return
    text = f"HTTP {status} from the receiver"
    if status in (408, 429) or status >= 500:
        raise DeliveryError(text)
    if 300 <= status < 400:
        raise PermanentDeliveryError(f"{text}: redirects are not followed; register the final URL")
    raise PermanentDeliveryError(text)
