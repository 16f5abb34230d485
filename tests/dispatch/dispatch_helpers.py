"""Helpers shared by the dispatch tests (a module with a unique name: tests/ is not a package)."""
from datetime import datetime
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from dispatch import services
from servicedesk import roles

TZ = ZoneInfo("Asia/Shanghai")
# A Monday morning in the off-season: "today" and "this week" are unambiguous.
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)


def make_user(username: str, role: str | None):
    user = get_user_model().objects.create_user(username=username, password="pw", first_name=username.title())
    if role:
        group = Group.objects.filter(name=role).first()
        if group is None:  # groups are synced after migrate; only a bare database lacks them
            roles.sync_roles()
            group = Group.objects.get(name=role)
        user.groups.add(group)
    return user


# A real 4×4 RGBA PNG with one opaque pixel, and a blank one (what an untouched canvas gives).
def _png(pixels: bytes, w=4, h=4) -> str:
    import base64
    import struct
    import zlib

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    raw = b"".join(b"\0" + pixels[r * w * 4:(r + 1) * w * 4] for r in range(h))
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    return "data:image/png;base64," + base64.b64encode(data).decode()


SIGNATURE = _png(b"\0" * 20 + b"\x0b\x1f\x4b\xff" + b"\0" * 40)
BLANK_SIGNATURE = _png(b"\0" * 64)


def fault_cause():
    from tickets.models import FaultCause

    return FaultCause.objects.get_or_create(code="capacitor", defaults={"name": "Capacitor failure"})[0]


def work_to_signed(wo, user, now, *, signature=SIGNATURE):
    """Drive an accepted in-warranty job to 'done' through the services."""
    services.workorder_arrive(work_order=wo, actor=user, now=now)
    services.workorder_start(work_order=wo, actor=user, now=now)
    services.workorder_record_work(work_order=wo, actor=user, work_done="Replaced capacitor",
                                   fault_cause=fault_cause(), now=now)
    return services.workorder_sign_off(work_order=wo, actor=user, name="王芳", signature_data_url=signature, now=now)
