"""The manager's list of undeliverable messages and its retry action, checked for every role."""
import pytest
from django.utils import timezone

from servicedesk.models import OutboxMessage

pytestmark = pytest.mark.django_db
ROLES = ["frontdesk", "agent", "supervisor", "technician", None]


@pytest.fixture
def dead():
    rows = [OutboxMessage.objects.create(
        kind="ticket.reply", channel="email", to=f"c{i}@example.com", subject=f"Re: SR-{i}", body="b",
        idempotency_key=f"k{i}", status="failed", attempts=8, last_error="SMTPRecipientsRefused: <c@x>",
        created_at=timezone.now()) for i in range(3)]
    OutboxMessage.objects.create(kind="ticket.reply", channel="email", to="ok@example.com", body="b",
                                 idempotency_key="sent", status="sent", created_at=timezone.now())
    return rows


def test_manager_sees_each_undeliverable_message_with_its_reason(client_for, dead, django_assert_max_num_queries):
    client = client_for("manager")
    with django_assert_max_num_queries(12):
        page = client.get("/outbox/undeliverable/").content.decode()
    assert "3 messages could not be delivered" in page
    assert "c0@example.com" in page and "SMTPRecipientsRefused" in page and "Reply to a customer" in page
    assert "ok@example.com" not in page


@pytest.mark.parametrize("role", ROLES)
def test_other_roles_may_neither_see_nor_retry(client_for, dead, role):
    client = client_for(role)
    get = client.get("/outbox/undeliverable/")
    post = client.post(f"/outbox/{dead[0].pk}/retry/")
    if role is None:
        assert get.status_code == 302 and post.status_code == 302  # to the login page
    else:
        assert get.status_code == 403 and post.status_code == 403
    dead[0].refresh_from_db()
    assert dead[0].status == "failed"


def test_manager_retry_queues_it_again_once(client_for, dead, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.core import mail

    mail.outbox = []
    client = client_for("manager")
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/outbox/{dead[0].pk}/retry/", follow=True)
    assert "Queued again" in r.content.decode()
    dead[0].refresh_from_db()
    assert dead[0].status == "sent" and len(mail.outbox) == 1
    r = client.post(f"/outbox/{dead[0].pk}/retry/", follow=True)  # a second click: nothing to retry
    assert "Nothing to retry" in r.content.decode() and len(mail.outbox) == 1
