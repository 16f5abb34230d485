"""E-mail into tickets (issue 16 item 1): who wrote, which ticket, what is kept, what is dropped."""
import pytest
from django.test import override_settings

from customers.models import Channel, Customer
from mailin.models import InboundEmail
from mailin.services import inbound_email_process
from servicedesk.models import OutboxMessage
from tickets.models import Ticket, TicketAttachment, TicketReply

from .factory import PNG, mail, raw_charset_mail

O = InboundEmail.Outcome
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def test_new_sender_opens_an_email_ticket_for_a_new_unverified_customer():
    # when
    row = inbound_email_process(raw=mail())
    # then
    assert row.outcome == O.CREATED
    ticket = row.ticket
    assert ticket.channel == Channel.EMAIL and ticket.subject == "Air conditioner not cooling"
    assert "stopped cooling yesterday" in ticket.description
    customer = ticket.customer
    assert customer.email == "zhang@example.com" and customer.name == "Zhang San"
    assert customer.self_registered and not customer.is_verified and customer.owner_id is None
    assert customer.first_contact_channel == Channel.EMAIL
    assert row.eml.read().startswith(b"From: Zhang San")


def test_two_mails_from_one_new_address_make_one_customer_and_two_tickets():
    a = inbound_email_process(raw=mail(sender="li@example.com"))
    b = inbound_email_process(raw=mail(sender="LI@Example.com", subject="Second problem"))
    assert a.customer_id == b.customer_id
    assert Customer.objects.filter(email__iexact="li@example.com").count() == 1
    assert a.ticket_id != b.ticket_id


def test_known_customer_is_matched_case_insensitively(personas):
    from customers.services import PhoneInput, customer_create

    known = customer_create(name="Chen", phones=[PhoneInput("13812345678")], email="Chen@Example.com",
                            created_by=personas.frontdesk)
    row = inbound_email_process(raw=mail(sender="chen@EXAMPLE.com"))
    assert row.customer_id == known.pk and row.ticket.customer_id == known.pk
    assert Customer.objects.count() == 1


def test_subject_with_the_ticket_number_adds_a_customer_reply():
    first = inbound_email_process(raw=mail(sender="zhao@example.com"))
    number = first.ticket.number
    # when: the customer writes again naming the number (lower case, inside other words)
    row = inbound_email_process(raw=mail(sender="zhao@example.com", subject=f"Re: {number.lower()} still broken",
                                         body="Still not cooling."))
    # then
    assert row.outcome == O.REPLIED and row.ticket_id == first.ticket_id
    reply = TicketReply.objects.get(ticket=first.ticket, from_customer=True)
    assert reply.body == "Still not cooling." and reply.public
    assert Ticket.objects.count() == 1


def test_a_stranger_naming_someone_elses_number_opens_a_new_ticket():
    first = inbound_email_process(raw=mail(sender="zhao@example.com"))
    row = inbound_email_process(raw=mail(sender="mallory@example.com", subject=f"Re: {first.ticket.number}"))
    assert row.outcome == O.CREATED and row.ticket_id != first.ticket_id
    assert not TicketReply.objects.filter(ticket=first.ticket, from_customer=True).exists()


def test_in_reply_to_one_of_our_messages_adds_a_reply(personas):
    from tickets.services import ticket_reply

    first = inbound_email_process(raw=mail(sender="sun@example.com"))
    ticket = first.ticket
    ticket_reply(ticket=ticket, author=personas.agent, body="Please send a photo of the label.", public=True)
    sent = OutboxMessage.objects.get(kind="ticket.reply")
    assert sent.channel == "email" and sent.to == "sun@example.com" and ticket.number in sent.subject
    # when: the customer's program answers with a subject we never wrote
    row = inbound_email_process(raw=mail(sender="sun@example.com", subject="photo", body="Here it is.",
                                         headers={"In-Reply-To": f"<{sent.idempotency_key}@servicedesk.outbox>"},
                                         attachments=[("label.png", PNG, "image/png")]))
    # then
    assert row.outcome == O.REPLIED and row.ticket_id == ticket.pk
    assert TicketReply.objects.filter(ticket=ticket, from_customer=True, body="Here it is.").exists()
    assert TicketAttachment.objects.filter(ticket=ticket, original_name="label.png").exists()


def test_a_colleague_answering_our_message_adds_to_the_ticket_without_a_new_customer(personas):
    from tickets.services import ticket_reply

    first = inbound_email_process(raw=mail(sender="boss@example.com"))
    ticket_reply(ticket=first.ticket, author=personas.agent, body="Which floor?", public=True)
    sent = OutboxMessage.objects.get(kind="ticket.reply")
    row = inbound_email_process(raw=mail(sender="assistant@example.com", subject="Re: floor",
                                         headers={"In-Reply-To": f"<{sent.idempotency_key}@servicedesk.outbox>"}))
    assert row.outcome == O.REPLIED and row.ticket_id == first.ticket_id and row.customer_id == first.customer_id
    assert Customer.objects.count() == 1


def test_references_to_the_acknowledgement_find_the_ticket():
    # The acknowledgement (portal, no outbox source) carries the number first in its subject.
    first = inbound_email_process(raw=mail(sender="qian@example.com"))
    ack = OutboxMessage.objects.get(kind="portal.ack")
    assert ack.to == "qian@example.com" and ack.subject.startswith(first.ticket.number)
    row = inbound_email_process(raw=mail(sender="qian@example.com", subject="thanks",
                                         headers={"References": f"<x@example.com> <{ack.idempotency_key}@servicedesk.outbox>"}))
    assert row.outcome == O.REPLIED and row.ticket_id == first.ticket_id


def test_our_sent_email_carries_our_message_id_and_the_ticket_number(personas, mailoutbox):
    from servicedesk.outbox import outbox_deliver
    from tickets.services import ticket_reply

    first = inbound_email_process(raw=mail(sender="zhou@example.com"))
    ticket_reply(ticket=first.ticket, author=personas.agent, body="On our way.", public=True)
    outbox_deliver()
    reply_mail = next(m for m in mailoutbox if "On our way." in m.body)
    row = OutboxMessage.objects.get(kind="ticket.reply")
    assert reply_mail.extra_headers["Message-ID"] == f"<{row.idempotency_key}@servicedesk.outbox>"
    assert first.ticket.number in reply_mail.subject


def test_reply_to_a_cancelled_ticket_opens_a_new_one(personas):
    from tickets.services import ticket_transition

    first = inbound_email_process(raw=mail(sender="wu@example.com"))
    ticket_transition(ticket=first.ticket, to_status=Ticket.Status.CANCELLED, actor=personas.agent, reason="dup")
    row = inbound_email_process(raw=mail(sender="wu@example.com", subject=f"Re: {first.ticket.number}"))
    assert row.outcome == O.CREATED and row.ticket_id != first.ticket_id
    assert first.ticket.number in row.notes


@pytest.mark.parametrize("charset,declared", [("gbk", None), ("gb18030", "gb2312"), ("big5", None),
                                              ("gbk", "iso-8859-1"), ("utf-8", "gbk")])
def test_chinese_charsets_and_encoded_word_subjects(charset, declared):
    text = "您好，客厅的空调不制冷了，请尽快派人来修。" if charset != "big5" else "您好，客廳的冷氣不冷了，請盡快派人來修。"
    subject = "空调故障" if charset != "big5" else "冷氣故障"
    raw = raw_charset_mail(text=text, charset=charset, declared=declared, subject=subject,
                           subject_charset="gbk" if charset != "big5" else "big5")
    row = inbound_email_process(raw=raw)
    assert row.outcome == O.CREATED
    assert row.ticket.subject == subject
    assert row.ticket.description.startswith(text)


def test_html_only_mail_becomes_safe_plain_text():
    html = ("<html><head><style>p{color:red}</style></head><body><p>Line one &amp; more</p>"
            "<script>alert('x')</script><div>Line <b>two</b><br>Line three</div>"
            "<img src=x onerror=alert(1)></body></html>")
    row = inbound_email_process(raw=mail(body=None, html=html))
    description = row.ticket.description
    assert "Line one & more\nLine two\nLine three" in description
    assert "<" not in description.split("—")[0] and "alert" not in description and "color" not in description


def test_plain_part_is_preferred_over_html():
    row = inbound_email_process(raw=mail(body="plain words", html="<p>html words</p>"))
    assert "plain words" in row.ticket.description and "html words" not in row.ticket.description


def test_huge_and_forbidden_attachments_are_dropped_with_a_note():
    big = b"%PDF-1.4\n" + b"0" * (30 * 1024 * 1024)
    raw = mail(attachments=[("manual.pdf", big, "application/pdf"), ("setup.exe", b"MZ\x90\x00", "application/octet-stream"),
                            ("fake.png", b"not a png at all", "image/png"), ("photo.png", PNG, "image/png")])
    # when
    row = inbound_email_process(raw=raw)
    # then: the ticket is there with what could be kept, and staff read what was dropped
    assert row.outcome == O.CREATED
    names = list(TicketAttachment.objects.filter(ticket=row.ticket).values_list("original_name", flat=True))
    assert names == ["photo.png"]
    note = TicketReply.objects.get(ticket=row.ticket, public=False).body
    assert "manual.pdf (larger than 10 MB)" in note
    assert "setup.exe (type not allowed)" in note
    assert "fake.png (content does not match its type)" in note
    assert "setup.exe" in row.notes


def test_more_than_ten_attachments_keep_the_first_ten():
    raw = mail(attachments=[(f"p{i}.png", PNG, "image/png") for i in range(12)])
    row = inbound_email_process(raw=raw)
    assert TicketAttachment.objects.filter(ticket=row.ticket).count() == 10
    assert "p11.png (more than 10 attachments)" in row.notes


def test_nested_multiparts_are_read():
    from email.message import EmailMessage

    inner = EmailMessage()
    inner.set_content("deep text")
    inner.add_alternative("<p>deep html</p>", subtype="html")
    middle = EmailMessage()
    middle.make_mixed()
    middle.attach(inner)
    forwarded = EmailMessage()
    forwarded["From"] = "orig@example.com"
    forwarded["Subject"] = "fwd"
    forwarded.set_content("forwarded text")
    outer = EmailMessage()
    outer["From"] = "nest@example.com"
    outer["Subject"] = "nested"
    outer["Message-ID"] = "<nested-1@example.com>"
    outer.make_mixed()
    outer.attach(middle)
    outer.add_attachment(forwarded)
    outer.add_attachment(PNG, maintype="image", subtype="png", filename="deep.png")
    row = inbound_email_process(raw=outer.as_bytes())
    assert row.outcome == O.CREATED
    assert "deep text" in row.ticket.description
    assert TicketAttachment.objects.filter(ticket=row.ticket, original_name="deep.png").exists()


def test_hostile_nesting_is_cut_and_noted_not_crashed():
    depth = 60
    raw = b"From: deep@example.com\r\nSubject: deep\r\nMessage-ID: <deep@example.com>\r\n"
    body = b"innermost text\r\n"
    for i in range(depth):
        b = f"b{i}".encode()
        body = (b"Content-Type: multipart/mixed; boundary=" + b + b"\r\n\r\n--" + b + b"\r\n" + body
                + b"\r\n--" + b + b"--\r\n")
    row = inbound_email_process(raw=raw + body)
    assert row.outcome == O.CREATED
    assert "nesting too deep" in row.notes


def test_malformed_message_without_sender_is_recorded_not_raised():
    row = inbound_email_process(raw=b"\x00\xff garbage without headers")
    assert row.outcome == O.NO_SENDER and row.message_id.startswith("sha256:")
    assert Ticket.objects.count() == 0


def test_missing_message_id_falls_back_to_a_hash_and_is_still_once():
    raw = b"From: nomid@example.com\r\nSubject: no id\r\n\r\nhello"
    a = inbound_email_process(raw=raw)
    b = inbound_email_process(raw=raw)
    assert a.outcome == O.CREATED and b.outcome == O.DUPLICATE
    assert a.message_id == b.message_id and Ticket.objects.count() == 1


@pytest.mark.parametrize("headers,sender,outcome", [
    ({"Auto-Submitted": "auto-replied"}, "away@example.com", O.AUTO_REPLY),
    ({"Precedence": "bulk"}, "news@example.com", O.LIST),
    ({"Precedence": "auto_reply"}, "away@example.com", O.AUTO_REPLY),
    ({"X-Autoreply": "yes"}, "away@example.com", O.AUTO_REPLY),
    ({"X-Autorespond": "yes"}, "away@example.com", O.AUTO_REPLY),
    ({"List-Id": "<news.example.com>"}, "news@example.com", O.LIST),
    ({"List-Unsubscribe": "<mailto:u@example.com>"}, "news@example.com", O.LIST),
    ({"Return-Path": "<>"}, "someone@example.com", O.BOUNCE),
    ({}, "MAILER-DAEMON@example.com", O.BOUNCE),
    ({}, "postmaster@example.com", O.BOUNCE),
])
def test_loop_protection_never_opens_tickets_or_acknowledges(headers, sender, outcome):
    row = inbound_email_process(raw=mail(sender=sender, headers=headers))
    assert row.outcome == outcome
    assert Ticket.objects.count() == 0 and Customer.objects.count() == 0
    assert not OutboxMessage.objects.exists()


def test_auto_submitted_no_is_a_person():
    row = inbound_email_process(raw=mail(headers={"Auto-Submitted": "no"}))
    assert row.outcome == O.CREATED


def test_delivery_reports_are_bounces():
    raw = (b"From: mailer@example.com\r\nSubject: Undelivered\r\nMessage-ID: <dsn@example.com>\r\n"
           b"Content-Type: multipart/report; report-type=delivery-status; boundary=X\r\n\r\n--X\r\n"
           b"Content-Type: text/plain\r\n\r\nCould not deliver\r\n--X--\r\n")
    row = inbound_email_process(raw=raw)
    assert row.outcome == O.BOUNCE and Ticket.objects.count() == 0


def test_new_ticket_gets_the_acknowledgement_by_email():
    inbound_email_process(raw=mail(sender="ack@example.com"))
    assert OutboxMessage.objects.filter(kind="portal.ack", channel="email", to="ack@example.com").count() == 1


@override_settings(MAILIN_SENDER_LIMIT_PER_MINUTE=3)
def test_a_flooding_sender_is_throttled_from_the_database_count():
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    outcomes = [inbound_email_process(raw=mail(sender="flood@example.com", subject=f"n{i}"),
                                      now=now + timedelta(seconds=i)).outcome for i in range(5)]
    assert outcomes == [O.CREATED] * 3 + [O.THROTTLED] * 2
    assert Ticket.objects.count() == 3
    # a minute later the sender is heard again
    later = inbound_email_process(raw=mail(sender="flood@example.com"), now=now + timedelta(seconds=70))
    assert later.outcome == O.CREATED
    # other senders are not affected
    assert inbound_email_process(raw=mail(sender="calm@example.com"), now=now + timedelta(seconds=5)).outcome == O.CREATED


def test_same_message_twice_is_a_duplicate_and_opens_nothing():
    raw = mail(message_id="<once@example.com>")
    a = inbound_email_process(raw=raw)
    b = inbound_email_process(raw=raw)
    assert (a.outcome, b.outcome) == (O.CREATED, O.DUPLICATE)
    assert b.ticket_id == a.ticket_id
    assert Ticket.objects.count() == 1 and OutboxMessage.objects.filter(kind="portal.ack").count() == 1


def test_a_failure_inside_processing_is_recorded_as_error(monkeypatch):
    from mailin import services

    def boom(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_open_or_reply", boom)
    row = inbound_email_process(raw=mail(message_id="<err@example.com>"))
    assert row.outcome == O.ERROR and "disk full" in row.notes
    assert row.eml and Ticket.objects.count() == 0
    # the same message again is a duplicate of the error, not a second attempt that might half-work
    assert inbound_email_process(raw=mail(message_id="<err@example.com>")).outcome == O.DUPLICATE


def test_real_latin1_text_stays_latin1():
    from mailin.parsing import decode_bytes

    assert decode_bytes("Café crème, déjà vu".encode("latin-1"), "iso-8859-1") == "Café crème, déjà vu"
    assert decode_bytes("空调".encode("utf-8"), "iso-8859-1") == "空调"
    assert decode_bytes("空调".encode("gbk"), "no-such-charset") == "空调"


def test_an_address_django_refuses_still_makes_one_customer():
    a = inbound_email_process(raw=mail(sender="root@intranet"))
    b = inbound_email_process(raw=mail(sender="root@intranet", subject="again"))
    assert (a.outcome, b.outcome) == (O.CREATED, O.CREATED)
    assert a.customer_id == b.customer_id and a.customer.email == ""
