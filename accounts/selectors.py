"""Reads for sign-in protection: who is locked out, who must use two-step sign-in."""
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Max, Sum

from servicedesk import roles

from .models import AccountSettings


def two_factor_required(user) -> bool:
    """A manager's setting: supervisors and/or managers must sign in with an authenticator code."""
    conf = AccountSettings.current()
    if not (conf.require_2fa_supervisor or conf.require_2fa_manager):
        return False
    held = set(roles.user_roles(user))
    return (conf.require_2fa_supervisor and roles.SUPERVISOR in held) or (
        conf.require_2fa_manager and roles.MANAGER in held
    )


def confirmed_totp_device(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


@dataclass(frozen=True)
class Lockout:
    kind: str  # "username" or "ip_address"
    value: str
    failures: int
    limit: int
    last_attempt: datetime
    locked_until: datetime | None


def lockouts_active(*, now: datetime) -> list[Lockout]:
    """User names and addresses locked now (failures within the cool-off window at or over their limit). 2 queries."""
    from axes.models import AccessAttempt

    recent = AccessAttempt.objects.all()
    cooloff = settings.AXES_COOLOFF_TIME
    if cooloff:
        recent = recent.filter(attempt_time__gte=now - cooloff)
    found = []
    for kind, limit in (("username", settings.AXES_FAILURE_LIMIT), ("ip_address", settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS)):
        rows = (
            recent.values(kind)
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=limit)
            .order_by("-last")
        )
        for row in rows:
            if row[kind] is None or row[kind] == "":
                continue
            found.append(Lockout(kind=kind, value=row[kind], failures=row["failures"], limit=limit,
                                 last_attempt=row["last"], locked_until=row["last"] + cooloff if cooloff else None))
    found.sort(key=lambda lock: lock.last_attempt, reverse=True)
    return found
