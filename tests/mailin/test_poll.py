"""Polling real mailboxes (dovecot on loopback, started by tests/mailin/conftest.py)."""
import imaplib

import pytest

from mailin.models import InboundEmail, Mailbox
from mailin.services import mailbox_poll, mailboxes_poll
from tickets.models import Ticket

from .factory import mail

O = InboundEmail.Outcome


def test_poll_turns_unread_mail_into_tickets_and_marks_it_seen(mailbox, imap_server):
    # given
    imap_server.deliver(mail(sender="a@example.com"))
    imap_server.deliver(mail(sender="b@example.com", headers={"Auto-Submitted": "auto-replied"}))
    imap_server.deliver(mail(sender="a@example.com", subject="second"))
    # when
    counts = mailbox_poll(mailbox=mailbox)
    # then
    assert counts == {"fetched": 3, "created": 2, "auto_reply": 1}
    assert Ticket.objects.count() == 2
    assert imap_server.uids("UNSEEN") == [] and len(imap_server.uids("SEEN")) == 3
    mailbox.refresh_from_db()
    assert mailbox.last_result == Mailbox.PollResult.OK and mailbox.last_poll_at and not mailbox.last_error
    assert mailbox.last_counts["created"] == 2
    # a second poll finds nothing new
    assert mailbox_poll(mailbox=mailbox) == {"fetched": 0}


def test_already_read_mail_is_left_alone(mailbox, imap_server):
    imap_server.deliver(mail())
    conn = imap_server.connect()
    conn.select("INBOX")
    conn.store("1:*", "+FLAGS", r"(\Seen)")
    conn.logout()
    assert mailbox_poll(mailbox=mailbox) == {"fetched": 0}


def test_processed_mail_moves_to_the_processed_folder(mailbox, imap_server):
    mailbox.processed_folder = "Processed"
    mailbox.save()
    imap_server.deliver(mail())
    imap_server.deliver(mail(sender="x@example.com"))
    counts = mailbox_poll(mailbox=mailbox)
    assert counts["created"] == 2
    assert imap_server.uids() == [] and len(imap_server.uids(folder="Processed")) == 2


def test_crash_between_commit_and_flag_gives_no_second_ticket(mailbox, imap_server, monkeypatch):
    """The flagging step fails after the ticket is committed (the worker died, the server hung up):
    the next poll fetches the same message again and records it as a duplicate."""
    from mailin import services

    imap_server.deliver(mail(message_id="<crash@example.com>"))
    real = services.mark_processed

    def fail(conn, uid, mb):
        raise imaplib.IMAP4.abort("connection lost while flagging")

    monkeypatch.setattr(services, "mark_processed", fail)
    # when
    first = mailbox_poll(mailbox=mailbox)
    # then: the ticket exists, the message is still unread on the server, the mailbox shows the failure
    assert first["created"] == 1 and "connection lost" in first["failure"]
    assert Ticket.objects.count() == 1 and len(imap_server.uids("UNSEEN")) == 1
    mailbox.refresh_from_db()
    assert mailbox.last_result == Mailbox.PollResult.FAILED and "connection lost" in mailbox.last_error
    # when: the next poll works
    monkeypatch.setattr(services, "mark_processed", real)
    second = mailbox_poll(mailbox=mailbox)
    # then
    assert second == {"fetched": 1, "duplicate": 1}
    assert Ticket.objects.count() == 1 and imap_server.uids("UNSEEN") == []
    assert list(InboundEmail.objects.filter(message_id="crash@example.com").order_by("pk")
                .values_list("outcome", flat=True)) == [O.CREATED, O.DUPLICATE]


def test_a_bad_message_is_recorded_and_flagged_and_does_not_block_the_next(mailbox, imap_server, monkeypatch):
    from mailin import services

    real = services._open_or_reply

    def picky(*, row, parsed, mailbox, now):
        if parsed.subject == "poison":
            raise ValueError("cannot handle this one")
        return real(row=row, parsed=parsed, mailbox=mailbox, now=now)

    monkeypatch.setattr(services, "_open_or_reply", picky)
    imap_server.deliver(mail(subject="poison"))
    imap_server.deliver(b"no headers at all, just bytes \xff\xfe")
    imap_server.deliver(mail(subject="fine"))
    counts = mailbox_poll(mailbox=mailbox)
    assert counts == {"fetched": 3, "error": 1, "no_sender": 1, "created": 1}
    assert imap_server.uids("UNSEEN") == []
    err = InboundEmail.objects.get(outcome=O.ERROR)
    assert "cannot handle this one" in err.notes and err.eml


def test_one_failing_mailbox_never_stops_the_others(db, imap_server, monkeypatch):
    # given: a wrong password, a server that is not there, a missing environment variable, and a good one
    common = {"host": imap_server.host, "security": Mailbox.Security.PLAIN}
    bad_pw = Mailbox.objects.create(name="A bad password", port=imap_server.port, username="service@test",
                                    password="wrong", **common)
    from tests.mailin.conftest import free_port

    down = Mailbox.objects.create(name="B down", port=free_port(), username="service@test", password="secret",
                                  **common)
    monkeypatch.delenv("MAILIN_TEST_PW", raising=False)
    no_env = Mailbox.objects.create(name="C env", port=imap_server.port, username="service@test",
                                    password_env="MAILIN_TEST_PW", **common)
    good = Mailbox.objects.create(name="D good", port=imap_server.port, username="other@test",
                                  password_env="MAILIN_OTHER_PW", **common)
    monkeypatch.setenv("MAILIN_OTHER_PW", "secret2")
    imap_server.deliver(mail(), user="other@test")
    # when
    results = mailboxes_poll()
    # then
    assert results["D good"]["created"] == 1
    for mb in (bad_pw, down, no_env):
        mb.refresh_from_db()
        assert mb.last_result == Mailbox.PollResult.FAILED and mb.last_error, mb.name
        assert "failure" in results[mb.name]
    no_env.refresh_from_db()
    assert "MAILIN_TEST_PW" in no_env.last_error
    good.refresh_from_db()
    assert good.last_result == Mailbox.PollResult.OK


def test_disabled_mailboxes_are_not_polled(mailbox, imap_server):
    mailbox.enabled = False
    mailbox.save()
    imap_server.deliver(mail())
    assert mailboxes_poll() == {}
    assert len(imap_server.uids("UNSEEN")) == 1


def test_an_overlapping_poll_of_the_same_mailbox_is_skipped(mailbox, imap_server):
    from django.utils import timezone

    from mailin.services import POLL_LEASE

    Mailbox.objects.filter(pk=mailbox.pk).update(poll_lease_until=timezone.now() + POLL_LEASE)
    imap_server.deliver(mail())
    assert mailbox_poll(mailbox=mailbox) == {"skipped": 1}
    assert Ticket.objects.count() == 0


def test_beat_task_polls_every_mailbox(mailbox, imap_server):
    from mailin.tasks import mailboxes_poll_task
    from servicedesk.celery import PERIODIC_TASKS, app

    assert PERIODIC_TASKS["mailin-poll"] == "mailin.tasks.mailboxes_poll_task"
    assert app.conf.beat_schedule["mailin-poll"]["options"]["expires"] == app.conf.beat_schedule["mailin-poll"]["schedule"]
    imap_server.deliver(mail())
    result = mailboxes_poll_task.delay().get()
    assert result["Service"]["created"] == 1


def test_plain_imap_is_refused_to_a_remote_host(db):
    from django.core.exceptions import ValidationError

    mb = Mailbox(name="x", host="imap.example.com", port=143, security=Mailbox.Security.PLAIN, username="u",
                 password="p")
    with pytest.raises(ValidationError):
        mb.full_clean()
    mb.save()  # saved around the form: the poll refuses it all the same
    counts = mailbox_poll(mailbox=mb)
    assert "only allowed to a server on this machine" in counts["failure"]
