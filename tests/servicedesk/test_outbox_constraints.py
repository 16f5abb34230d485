"""The database holds the outbox to one message per cause, whoever writes it."""
import pytest
from django.db import IntegrityError, transaction

from servicedesk.models import OutboxMessage, Team
from servicedesk.outbox import outbox_add

pytestmark = pytest.mark.django_db


def test_a_second_message_for_the_same_cause_is_refused_by_the_database():
    # given a message written for one cause
    cause = Team.objects.create(name="维修组")
    outbox_add(kind="ticket.reply", channel="email", to="a@example.com", body="first", source=cause)
    # when a second one is written for the same cause
    with pytest.raises(IntegrityError), transaction.atomic():
        outbox_add(kind="ticket.reply", channel="email", to="a@example.com", body="again", source=cause)
    # then only the first exists
    assert list(OutboxMessage.objects.values_list("body", flat=True)) == ["first"]


def test_messages_without_a_cause_and_for_different_causes_are_all_kept():
    first, second = Team.objects.create(name="一组"), Team.objects.create(name="二组")
    for source in (first, second, None, None):
        outbox_add(kind="notification.digest", channel="email", to="a@example.com", body="b", source=source)
    assert OutboxMessage.objects.count() == 4


def test_an_unknown_channel_is_refused_when_written_not_after_eight_failed_sends():
    with pytest.raises(IntegrityError), transaction.atomic():
        outbox_add(kind="ticket.reply", channel="mail", to="a@example.com", body="b")
    assert not OutboxMessage.objects.exists()


def test_an_unknown_status_is_refused_by_the_database():
    message = outbox_add(kind="ticket.reply", channel="sms", to="+8613800000000", body="b")
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboxMessage.objects.filter(pk=message.pk).update(status="lost")
    message.refresh_from_db()
    assert message.status == "pending"
