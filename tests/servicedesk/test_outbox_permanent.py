"""A gateway's "never" (PermanentDeliveryError) marks the message failed after one attempt; a
temporary DeliveryError still backs off as before."""
import pytest
from django.utils import timezone

from followups.delivery import DeliveryError, PermanentDeliveryError
from servicedesk.models import OutboxMessage
from servicedesk.outbox import backoff, outbox_add, outbox_deliver, outbox_retry

S = OutboxMessage.Status
sent = []


class RejectingSms:
    """The gateway answers "this number does not exist" (a permanent refusal)."""

    channel = "sms"

    def send(self, to, text, *, subject="", idempotency_key=""):
        sent.append(to)
        raise PermanentDeliveryError("isv.MOBILE_NUMBER_ILLEGAL: bad number")


class BusySms(RejectingSms):
    def send(self, to, text, *, subject="", idempotency_key=""):
        sent.append(to)
        raise DeliveryError("isv.BUSINESS_LIMIT_CONTROL: flow control")


@pytest.fixture(autouse=True)
def _clear():
    sent.clear()


@pytest.mark.django_db
def test_permanent_failure_is_failed_after_one_attempt(settings, personas):
    # given an SMS the gateway refuses for good
    settings.SMS_DELIVERY_BACKEND = f"{__name__}.RejectingSms"
    now = timezone.now()
    row = outbox_add(kind="test", channel="sms", to="+8613800000000", body="hi", now=now)
    # when the outbox delivers it
    counts = outbox_deliver(now=now)
    # then it is failed at once, with the reason, and no further attempt is due
    row.refresh_from_db()
    assert counts == {"claimed": 1, "sent": 0, "failed": 0, "gave_up": 1}
    assert (row.status, row.attempts, row.next_attempt_at) == (S.FAILED, 1, None)
    assert row.last_error == "PermanentDeliveryError: isv.MOBILE_NUMBER_ILLEGAL: bad number"
    assert outbox_deliver(now=now + backoff(8))["claimed"] == 0 and sent == ["+8613800000000"]
    # and a manager's retry still works (e.g. after the customer's number was corrected)
    assert outbox_retry(message_id=row.pk, actor=personas.manager, now=now)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (S.PENDING, 0)


@pytest.mark.django_db
def test_temporary_failure_still_backs_off(settings):
    settings.SMS_DELIVERY_BACKEND = f"{__name__}.BusySms"
    now = timezone.now()
    row = outbox_add(kind="test", channel="sms", to="+8613800000000", body="hi", now=now)
    assert outbox_deliver(now=now)["failed"] == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.next_attempt_at) == (S.PENDING, 1, now + backoff(1))
    assert row.last_error == "DeliveryError: isv.BUSINESS_LIMIT_CONTROL: flow control"
