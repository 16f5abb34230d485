from datetime import datetime
from zoneinfo import ZoneInfo

SH = ZoneInfo("Asia/Shanghai")


def at(y, mo, d, h=10, mi=0):
    """An aware moment in the department's zone."""
    return datetime(y, mo, d, h, mi, tzinfo=SH)


class FlakyBackend:
    """An SMS gateway that fails the first `fail_times` sends (class-level counters for the test)."""

    channel = "sms"
    fail_times = 1
    calls: list = []

    def send(self, to, text, *, subject="", idempotency_key=""):
        from followups.delivery import DeliveryError

        FlakyBackend.calls.append((to, text))
        if len(FlakyBackend.calls) <= FlakyBackend.fail_times:
            raise DeliveryError("gateway timeout")


ANSWERS = {"overall": "5", "reliability": "4", "responsiveness": "5", "assurance": "4", "empathy": "5",
           "tangibles": "4", "recommend": "10", "comment": "Very quick, thank you"}
