from datetime import datetime
from zoneinfo import ZoneInfo

SH = ZoneInfo("Asia/Shanghai")


def at(y, mo, d, h=10, mi=0):
    """An aware moment in the department's zone."""
    return datetime(y, mo, d, h, mi, tzinfo=SH)


class FlakyBackend:
    """An SMS gateway that fails the first `fail_times` survey-link sends (class-level counters for the test).

    Other texts (the customer's acknowledgement of the ticket the test opens, tests/portal) are accepted
    and not counted: these tests are about the survey link."""

    channel = "sms"
    fail_times = 1
    calls: list = []

    def send(self, to, text, *, subject="", idempotency_key=""):
        from followups.delivery import DeliveryError

        if "/followups/s/" not in text:
            return
        FlakyBackend.calls.append((to, text))
        if len(FlakyBackend.calls) <= FlakyBackend.fail_times:
            raise DeliveryError("gateway timeout")


ANSWERS = {"overall": "5", "reliability": "4", "responsiveness": "5", "assurance": "4", "empathy": "5",
           "tangibles": "4", "recommend": "10", "comment": "Very quick, thank you"}
