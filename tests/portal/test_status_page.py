"""The status page a customer opens from the signed link (issue 15 item 2), and what they do there."""
import re
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from followups.models import Callback
from portal import services
from servicedesk.models import Notification
from tickets.models import Ticket, TicketAttachment, TicketEvent, TicketReply
from tickets.services import ticket_reply, ticket_transition

from .conftest import NOW

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _no_csrf(response) -> str:
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", response.content.decode())


def _url(ticket, lang=None):
    url = reverse("portal:status", args=[services.status_token(ticket)])
    return url + (f"?lang={lang}" if lang else "")


@pytest.fixture
def travel():
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False) as traveller:
        yield traveller


def test_page_in_plain_words_with_promised_time_and_public_replies_only(client, open_ticket, personas, travel):
    ticket = open_ticket(assignee=personas.agent)
    ticket_reply(ticket=ticket, author=personas.agent, body="我们明天上午联系您", public=True, now=NOW)
    ticket_reply(ticket=ticket, author=personas.agent, body="internal: customer is difficult", public=False, now=NOW)
    page = client.get(_url(ticket)).content.decode()
    assert ticket.number in page and "空调漏水" in page
    assert "我们正在处理" in page or "We are working on it" in page
    assert "我们明天上午联系您" in page
    assert "customer is difficult" not in page
    assert "/tickets/" not in page and "navbar-nav" not in page  # no staff navigation, no staff links


def test_english_switch(client, open_ticket, travel):
    ticket = open_ticket()
    page = client.get(_url(ticket, "en")).content.decode()
    assert "We have your request" in page and "We will answer by" in page


def test_fixed_number_of_queries_whatever_the_history(client, open_ticket, personas, travel,
                                                      django_assert_max_num_queries):
    ticket = open_ticket(assignee=personas.agent)
    client.get(_url(ticket))  # warm the settings cache and the status link
    with django_assert_max_num_queries(9) as few:
        client.get(_url(ticket))
    for i in range(30):
        ticket_reply(ticket=ticket, author=personas.agent, body=f"reply {i}", public=True, now=NOW)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(_url(ticket)).content.decode()
    assert "reply 29" in page


@pytest.mark.parametrize("mangle", ["nonce", "other_id", "garbage", "empty_nonce", "long"])
def test_forged_links_get_one_friendly_page_and_leak_nothing(client, open_ticket, customer_factory, travel, mangle):
    mine = open_ticket(subject="我的空调")
    theirs = open_ticket(customer=customer_factory(name="李四"), subject="别人的冰箱")
    head, nonce = services.status_token(mine).split("-", 1)
    other_head = services.status_token(theirs).split("-", 1)[0]
    wrong_last = "y" if nonce.endswith("x") else "x"  # a different secret, whatever it ended with
    token = {"nonce": f"{head}-{nonce[:-1]}{wrong_last}", "other_id": f"{other_head}-{nonce}", "garbage": "abc",
             "empty_nonce": f"{head}-", "long": f"{head}-{'a' * 300}"}[mangle]
    response = client.get(reverse("portal:status", args=[token]))
    invalid = client.get(reverse("portal:status", args=["nothing-here"]))
    assert response.status_code == invalid.status_code == 404
    page = response.content.decode()
    assert "别人的冰箱" not in page and "我的空调" not in page and "李四" not in page
    # The same page, byte for byte but for the per-request CSRF token: nothing tells them apart.
    assert _no_csrf(response) == _no_csrf(invalid)


def test_links_expire_a_configured_time_after_closing(client, open_ticket, personas):
    ticket = open_ticket(assignee=personas.agent)
    ticket_transition(ticket=ticket, to_status=Ticket.Status.RESOLVED, actor=personas.agent, now=NOW)
    ticket_transition(ticket=ticket, to_status=Ticket.Status.CLOSED, actor=personas.agent, now=NOW)
    url = _url(ticket)
    with time_machine.travel(NOW + timedelta(days=29), tick=False):
        assert client.get(url).status_code == 200
    with time_machine.travel(NOW + timedelta(days=31), tick=False):
        assert client.get(url).status_code == 404


def test_revoked_links_stop_working(client, open_ticket, personas, travel):
    ticket = open_ticket()
    old = _url(ticket)
    services.status_links_revoke(ticket=ticket, actor=personas.supervisor)
    assert client.get(old).status_code == 404
    assert client.get(_url(ticket)).status_code == 200


def test_customer_message_with_photo_becomes_a_reply_moves_waiting_on_and_rings_the_assignee(
        client, open_ticket, personas, travel):
    ticket = open_ticket(assignee=personas.agent)
    ticket_transition(ticket=ticket, to_status=Ticket.Status.WAITING, actor=personas.agent, now=NOW)
    response = client.post(_url(ticket), {"action": "message", "m-body": "型号是KFR-35GW",
                                          "m-photos": [SimpleUploadedFile("leak.png", PNG, "image/png")]})
    assert response.status_code == 302
    reply = TicketReply.objects.get(ticket=ticket, from_customer=True)
    assert reply.body == "型号是KFR-35GW" and reply.delivery_status == "received"
    assert TicketAttachment.objects.filter(ticket=ticket, original_name="leak.png").exists()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.IN_PROGRESS
    bell = Notification.objects.get(recipient=personas.agent, kind="customer_reply")
    assert ticket.number in bell.message
    page = client.get(response["Location"]).content.decode()
    assert "型号是KFR-35GW" in page


def test_wrong_file_type_is_refused_and_the_text_kept(client, open_ticket, travel):
    ticket = open_ticket()
    response = client.post(_url(ticket), {"action": "message", "m-body": "请看附件",
                                          "m-photos": [SimpleUploadedFile("virus.exe", b"MZ....", "image/png")]})
    assert response.status_code == 400
    page = response.content.decode()
    assert "请看附件" in page and "virus.exe" in page
    assert not TicketReply.objects.filter(ticket=ticket, from_customer=True).exists()


def test_a_png_that_is_not_a_png_is_refused(client, open_ticket, travel):
    ticket = open_ticket()
    response = client.post(_url(ticket), {"action": "message", "m-body": "x",
                                          "m-photos": [SimpleUploadedFile("fake.png", b"GIF89a....", "image/png")]})
    assert response.status_code == 400 and not TicketAttachment.objects.filter(ticket=ticket).exists()


def test_empty_message_is_refused(client, open_ticket, travel):
    ticket = open_ticket()
    response = client.post(_url(ticket), {"action": "message", "m-body": "  "})
    assert response.status_code == 400
    assert not TicketReply.objects.filter(ticket=ticket).exists()


def test_html_is_escaped(client, open_ticket, travel):
    ticket = open_ticket()
    client.post(_url(ticket), {"action": "message", "m-body": "<script>alert(1)</script>"})
    page = client.get(_url(ticket)).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_call_back_request_makes_one_callback(client, open_ticket, personas, travel):
    ticket = open_ticket(assignee=personas.agent)
    client.post(_url(ticket), {"action": "callback"})
    client.post(_url(ticket), {"action": "callback"})
    [cb] = Callback.objects.filter(ticket=ticket)
    assert cb.reason == "customer_request" and cb.owner == personas.agent and cb.status == "pending"
    assert "You asked for a call back" in client.get(_url(ticket, "en")).content.decode()
    assert TicketEvent.objects.filter(ticket=ticket, kind="customer_callback_request").count() == 1


def test_fixed_closes_the_ticket(client, open_ticket, personas, travel):
    ticket = open_ticket(assignee=personas.agent)
    ticket_transition(ticket=ticket, to_status=Ticket.Status.RESOLVED, actor=personas.agent, now=NOW)
    client.post(_url(ticket), {"action": "fixed"})
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED


def test_not_fixed_within_the_window_reopens_and_rings_the_assignee(client, open_ticket, personas, travel):
    ticket = open_ticket(assignee=personas.agent)
    ticket_transition(ticket=ticket, to_status=Ticket.Status.RESOLVED, actor=personas.agent, now=NOW)
    client.post(_url(ticket), {"action": "not_fixed", "n-note": "还在漏水"})
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.REOPENED
    status_event = TicketEvent.objects.filter(ticket=ticket, kind="status").latest("id")
    assert "还在漏水" in status_event.message
    assert Notification.objects.filter(recipient=personas.agent, message__contains=ticket.number,
                                       message__icontains="not fixed").exists()


def test_not_fixed_after_the_window_opens_a_linked_complaint(client, open_ticket, personas):
    ticket = open_ticket(assignee=personas.agent)
    ticket_transition(ticket=ticket, to_status=Ticket.Status.RESOLVED, actor=personas.agent, now=NOW)
    ticket_transition(ticket=ticket, to_status=Ticket.Status.CLOSED, actor=personas.agent, now=NOW)
    with time_machine.travel(NOW + timedelta(days=10), tick=False):
        client.post(_url(ticket), {"action": "not_fixed", "n-note": "又坏了"})
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED  # resolved and closed 10 days ago is past the 7-day window
    complaint = Ticket.objects.get(kind=Ticket.Kind.COMPLAINT)
    assert complaint.customer == ticket.customer and complaint.channel == "web"
    assert ticket.number in complaint.subject and "又坏了" in complaint.description
    assert TicketEvent.objects.get(ticket=ticket, kind="complaint_opened").after["complaint"] == complaint.number


def test_confirm_is_refused_before_resolution(client, open_ticket, travel):
    ticket = open_ticket()
    response = client.post(_url(ticket), {"action": "not_fixed"})
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW


def test_stop_link_records_the_preference(client, open_ticket, travel):
    ticket = open_ticket()
    client.post(_url(ticket), {"action": "stop"})
    ticket.customer.refresh_from_db()
    assert ticket.customer.progress_messages_stopped
    assert TicketEvent.objects.filter(ticket=ticket, kind="customer_stopped_messages").exists()


def test_rate_limited(client, open_ticket, settings, travel):
    settings.PORTAL_RATE_LIMIT = (3, 60)
    ticket = open_ticket()
    codes = [client.get(_url(ticket)).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]


def test_staff_ticket_page_shows_the_customers_message_as_theirs(client, open_ticket, personas, travel):
    ticket = open_ticket(assignee=personas.agent)
    client.post(_url(ticket), {"action": "message", "m-body": "还有一个问题"})
    client.force_login(personas.agent)
    page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "还有一个问题" in page and "From the customer (status page)" in page
