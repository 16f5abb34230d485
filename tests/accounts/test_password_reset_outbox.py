"""Review finding: the password-reset e-mail leaves through the transactional outbox like every other
message (style.md §14), so an SMTP or broker outage loses nothing and a failure is visible."""
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from servicedesk.models import OutboxMessage, StaffProfile
from servicedesk.outbox import outbox_deliver

pytestmark = pytest.mark.django_db

RESET = "/accounts/password/reset/"


@pytest.fixture
def agent(personas):
    agent = personas.agent
    agent.email = "agent@example.com"
    agent.save()
    return agent


def test_reset_mail_is_an_outbox_row_delivered_by_the_outbox(client, agent, settings):
    # given
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # when: the form is posted (no on-commit fast path here: as if the broker were down)
    response = client.post(reverse("accounts:password_reset"), {"email": "agent@example.com"})
    # then: nothing left during the request; the message waits in the outbox
    assert response.status_code == 302 and response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []
    row = OutboxMessage.objects.get()
    assert (row.kind, row.channel, row.to, row.status) == ("account.password_reset", "email", "agent@example.com",
                                                           "pending")
    assert row.subject == "ServiceDesk: choose a new password" and "\n" not in row.subject
    # when: the sweep delivers it
    counts = outbox_deliver(now=row.created_at + timedelta(seconds=1))
    # then
    assert counts["sent"] == 1
    row.refresh_from_db()
    assert row.status == "sent"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["agent@example.com"]
    assert mail.outbox[0].subject == row.subject and "Hello" in mail.outbox[0].body
    # and the link in it opens the page where a new password is chosen
    link = re.search(r"http://testserver(" + RESET + r"\S+/)", mail.outbox[0].body).group(1)
    page = client.get(link, follow=True)
    assert page.status_code == 200 and page.context["validlink"]
    assert "new_password1" in page.content.decode()


def test_unknown_address_answers_the_same_page_and_writes_nothing(client, agent):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:password_reset_done")
    assert not OutboxMessage.objects.exists()


def test_written_in_the_recipients_own_language_whatever_page_asked(client, agent, settings):
    # given: the agent reads Chinese; the reset is asked from the English page
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    StaffProfile.objects.update_or_create(user=agent, defaults={"language": "zh-hans"})
    client.cookies["django_language"] = "en"
    # when
    client.post(reverse("accounts:password_reset"), {"email": "agent@example.com"})
    # then
    row = OutboxMessage.objects.get()
    assert "您好" in row.body and "Hello" not in row.body
    assert row.subject != "ServiceDesk: choose a new password"


def test_an_smtp_outage_loses_nothing_and_a_dead_message_is_on_the_managers_list(client, client_for, agent,
                                                                                  settings):
    # given: the mail server refuses connections
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    settings.OUTBOX_MAX_ATTEMPTS = 2
    client.post(reverse("accounts:password_reset"), {"email": "agent@example.com"})
    # when: every attempt fails
    asked = OutboxMessage.objects.get().created_at
    first = outbox_deliver(now=asked + timedelta(seconds=1))
    second = outbox_deliver(now=asked + timedelta(hours=1))
    # then: kept, retried, then shown as undeliverable with its reason
    assert first["failed"] == 1 and second["gave_up"] == 1
    row = OutboxMessage.objects.get()
    assert row.status == "failed" and row.last_error
    page = client_for("manager").get("/outbox/undeliverable/").content.decode()
    assert "agent@example.com" in page and "Password reset link" in page
    # the reset link itself is not shown on the list (only the subject)
    assert RESET not in page


def test_the_admin_does_not_show_the_reset_link(client, admin_client, agent):
    client.post(reverse("accounts:password_reset"), {"email": "agent@example.com"})
    row = OutboxMessage.objects.get()
    page = admin_client.get(reverse("admin:servicedesk_outboxmessage_change", args=[row.pk]))
    assert page.status_code == 200
    assert "agent@example.com" in page.content.decode() and RESET not in page.content.decode()
