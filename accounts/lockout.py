"""django-axes glue: which address a sign-in comes from, the per-address limit, the lockout page.

Failures are counted per user name and, separately, per client address
(AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]). A user name is locked after
AXES_FAILURE_LIMIT failures; an address after LOGIN_FAILURE_LIMIT_PER_ADDRESS (higher, because a
front desk's PCs share one office address). Unknown user names are counted exactly like real ones,
so the lockout never tells which names exist.
"""
from django.conf import settings
from django.shortcuts import render

from axes.handlers.database import AxesDatabaseHandler


def client_ip(request) -> str | None:
    """The same client-address rule as the public rate limits (X-Forwarded-For only behind trusted proxies).

    None when there is no usable address (e.g. a request built in code): axes stores addresses in an
    IP column, which on PostgreSQL refuses the rate limiter's "unknown" placeholder.
    """
    import ipaddress

    from servicedesk.ratelimit import client_ip as shared_client_ip

    value = shared_client_ip(request)
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_username(request, credentials=None) -> str | None:
    """The user name axes counts failures by: what was typed, cut to the longest a user name can be.

    A 10 kB "user name" is never a real one; stored whole it overflows axes' 255-character column
    (PostgreSQL refuses it: a 500 on the sign-in form). Cut to 150 it is still counted, locked out
    and unlocked like any other name, and no real name is changed.
    """
    from django.contrib.auth import get_user_model

    field = settings.AXES_USERNAME_FORM_FIELD
    value = credentials.get(field) if credentials else getattr(request, "data", request.POST).get(field)
    if value is None:
        return None
    limit = get_user_model()._meta.get_field(get_user_model().USERNAME_FIELD).max_length or 150
    return str(value)[:limit]


class DepartmentAxesHandler(AxesDatabaseHandler):
    """Axes' database handler with a separate (higher) limit for the address than for the user name.

    Axes compares one number, the largest failure count over the lockout parameters, with one limit.
    Shifting the address count down by the difference of the two limits makes "address failures ≥
    address limit" read as "shifted count ≥ user limit", so every axes code path (lock check, lockout
    signal, response) applies both limits without being overridden one by one.
    """

    def get_failures(self, request, credentials=None) -> int:
        from django.db.models import Sum

        user_limit = settings.AXES_FAILURE_LIMIT
        address_limit = settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS
        counts = {}
        attempts_list = self.get_user_attempts(request, credentials)
        for parameter, attempts in zip(settings.AXES_LOCKOUT_PARAMETERS, attempts_list):
            counts[parameter] = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
        by_user = counts.get("username", 0)
        by_address = counts.get("ip_address", 0) - (address_limit - user_limit)
        return max(by_user, by_address, 0)


    def reset_user_attempts(self, request, credentials=None) -> int:
        """After a successful sign-in, forget only this user name's failures from this address.

        Axes' default deletes every attempt matching the user name OR the address, so a colleague (or
        an attacker with any account) signing in from the same address would wipe the failures counted
        against other user names there, and the per-user lockout could be reset at will.
        """
        from axes.helpers import get_client_username
        from axes.models import AccessAttempt

        username = get_client_username(request, credentials)
        count, _detail = AccessAttempt.objects.filter(username=username, ip_address=request.axes_ip_address).delete()
        return count


def lockout_response(request, original_response=None, credentials=None):
    """The page a locked-out sign-in gets: one message whatever the user name (known or not)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60) if settings.AXES_COOLOFF_TIME else 0
    request.session.pop("accounts_pending_user", None)
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)
