"""The public online request form (issue 15 item 3), through the pages as a customer's phone uses them."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.models import Customer
from portal.models import PortalSettings, VerificationCode
from servicedesk.models import OutboxMessage
from sla.models import SLAClock
from tickets.models import Ticket, TicketAttachment

from .request_fixtures import _local_cache, sms_code  # noqa: F401 (fixtures)

URL = "/request/"
E164 = "+8613812345678"
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100


def _form(**overrides):
    data = {"lang": "en", "name": "Wang Fang", "mobile": "138 1234 5678", "kind": "repair",
            "product": "Air conditioner KFR-35GW", "description": "Not cooling, water drips from the indoor unit.",
            "contact_time": "evening", "code": "", "website": "", "do": "submit"}
    data.update(overrides)
    return data


def _send_code(client, **overrides):
    return client.post(URL, _form(do="send_code", **overrides))


@pytest.fixture
def sent(client, db, sms_code):
    """A code was texted to the mobile; returns it."""
    response = _send_code(client)
    assert response.status_code == 200
    return sms_code(E164)


def test_url_names():
    assert reverse("portal:request") == URL
    assert reverse("portal:request_code") == "/request/code/"


def test_form_get_is_cheap(client, db, django_assert_max_num_queries):
    PortalSettings.current()  # the settings row is cached like on a warm server
    with django_assert_max_num_queries(1):
        response = client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="website"' in body and "portal-hp" in body
    assert 'value="send_code"' in body


def test_chinese_page(client, db):
    response = client.get(URL + "?lang=zh-hans")
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in response.content.decode()


def test_send_code_keeps_the_text_and_shows_the_code_field(client, db):
    # when
    response = _send_code(client, description="Typed before the code")
    # then
    body = response.content.decode()
    assert response.status_code == 200
    assert "We sent a code to 138****5678" in body
    assert 'name="code"' in body and "Typed before the code" in body and 'value="Wang Fang"' in body
    assert OutboxMessage.objects.filter(kind="portal.code", to=E164, channel="sms").count() == 1


def test_send_code_with_htmx_answers_the_code_block(client, db):
    response = client.post(reverse("portal:request_code") + "?lang=en", {"mobile": "13812345678", "lang": "en"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith("<div id=\"code-block\"") and "138****5678" in body
    assert VerificationCode.objects.filter(mobile=E164).count() == 1


def test_resend_within_a_minute_says_how_long(client, db):
    _send_code(client)
    response = _send_code(client)
    assert response.status_code == 429
    assert "You can ask for a new one in" in response.content.decode()
    assert VerificationCode.objects.count() == 1


def test_invalid_mobile(client, db):
    response = _send_code(client, mobile="12345")
    assert response.status_code == 400
    assert "is not a valid phone number" in response.content.decode()
    response = client.post(URL, _form(mobile="010-12345678", code="123456"))
    assert response.status_code == 400
    assert "is not a mobile number" in response.content.decode()
    assert not VerificationCode.objects.exists() and not Ticket.objects.exists()


def test_happy_path_new_customer(client, sent):
    # when
    photo = SimpleUploadedFile("leak.png", PNG, content_type="image/png")
    response = client.post(URL, {**_form(code=sent), "photos": [photo]})
    # then: post/redirect/get to the done page with the number and the status link
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    done = client.get(response["Location"])
    body = done.content.decode()
    assert ticket.number in body and "/t/" in body
    customer = ticket.customer
    assert (customer.self_registered, customer.is_verified, customer.first_contact_channel) == (True, False, "web")
    assert customer.owner is None and customer.preferred_language == "en"
    assert ticket.channel == "web" and ticket.created_by.username == "portal"
    assert SLAClock.objects.filter(ticket=ticket).exists()
    assert TicketAttachment.objects.filter(ticket=ticket).count() == 1
    ack = OutboxMessage.objects.get(kind="portal.ack")
    assert ack.to == E164 and ticket.number in ack.body and "/t/" in ack.body


def test_known_mobile_attaches_to_the_existing_customer(client, customer_factory, sent):
    known = customer_factory(name="Wang Fang (on file)", phone="13812345678")
    response = client.post(URL, _form(code=sent))
    assert response.status_code == 302
    assert Customer.objects.count() == 1 and Ticket.objects.get().customer == known


def test_wrong_code_five_times_locks_it(client, sent):
    # every complete submission counts against the address's hourly limit (default 5): raise it here
    cfg = PortalSettings.current()
    cfg.requests_per_ip_hour = 20
    cfg.save()
    wrong = "000000" if sent != "000000" else "111111"
    for _i in range(4):
        response = client.post(URL, _form(code=wrong))
        assert response.status_code == 400 and "The code is wrong" in response.content.decode()
    response = client.post(URL, _form(code=wrong))
    assert "It is now locked" in response.content.decode()
    response = client.post(URL, _form(code=sent))
    body = response.content.decode()
    assert response.status_code == 400 and "is locked" in body
    assert "Not cooling, water drips" in body  # the typed text is kept
    assert not Ticket.objects.exists()


def test_expired_code(client, sent):
    import time_machine
    from datetime import timedelta
    from django.utils import timezone

    with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=False):
        response = client.post(URL, _form(code=sent))
    assert response.status_code == 400 and "has expired" in response.content.decode()
    assert not Ticket.objects.exists()


def test_code_cannot_be_used_twice(client, sent):
    assert client.post(URL, _form(code=sent)).status_code == 302
    response = client.post(URL, _form(code=sent))
    assert response.status_code == 400 and "already used" in response.content.decode()
    assert Ticket.objects.count() == 1


def test_honeypot_pretends_success_and_creates_nothing(client, sent):
    response = client.post(URL, _form(code=sent, website="http://spam.example"))
    assert response.status_code == 302
    assert "Thank you" in client.get(response["Location"]).content.decode()
    assert not Ticket.objects.exists() and not Customer.objects.exists()
    assert VerificationCode.objects.get().used_at is None


def test_per_address_limit(client, db):
    # given: 2 per address and hour; two codes to two mobiles use them up
    cfg = PortalSettings.current()
    cfg.requests_per_ip_hour = 2
    cfg.save()
    assert _send_code(client, mobile="13812345678").status_code == 200
    assert _send_code(client, mobile="13912345678").status_code == 200
    # when
    response = _send_code(client, mobile="13712345678")
    # then: 429, a clear message, the text kept, no SMS
    body = response.content.decode()
    assert response.status_code == 429 and "Too many requests came from your network" in body
    assert "Not cooling, water drips" in body
    assert VerificationCode.objects.count() == 2
    response = client.post(URL, _form(mobile="13812345678", code="123456"))
    assert response.status_code == 429 and "Too many requests came from your network" in response.content.decode()


def test_per_mobile_day_limit_from_the_database(client, sms_code, customer_factory):
    # given: the day's one request for this mobile was already made (the cache is emptied: a restart)
    import time_machine
    from datetime import timedelta
    from django.core.cache import cache
    from django.utils import timezone

    cfg = PortalSettings.current()
    cfg.requests_per_mobile_day = 1
    cfg.save()
    _send_code(client)
    assert client.post(URL, _form(code=sms_code(E164))).status_code == 302
    cache.clear()
    # when
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        response = _send_code(client)
    # then
    body = response.content.decode()
    assert response.status_code == 429 and "the most we accept in a day" in body
    assert Ticket.objects.count() == 1


def test_wrong_file_type_keeps_the_text(client, sent):
    bad = SimpleUploadedFile("virus.exe", b"MZ" + b"0" * 100, content_type="application/octet-stream")
    response = client.post(URL, {**_form(code=sent), "photos": [bad]})
    body = response.content.decode()
    assert response.status_code == 400
    assert "this kind of file is not accepted" in body
    assert "Not cooling, water drips" in body and 'value="Wang Fang"' in body
    assert "please choose your photos or files again" in body
    assert not Ticket.objects.exists()
    assert VerificationCode.objects.get().attempts == 0  # the code was not spent on a bad file


def test_oversize_file(client, sent):
    from tickets.models import TicketSettings

    max_mb = TicketSettings.current().attachment_max_mb
    big = SimpleUploadedFile("big.png", PNG + b"0" * (max_mb * 1024 * 1024), content_type="image/png")
    response = client.post(URL, {**_form(code=sent), "photos": [big]})
    assert response.status_code == 400
    assert f"is larger than {max_mb} MB" in response.content.decode()
    assert not Ticket.objects.exists()


def test_more_than_five_files(client, sent):
    photos = [SimpleUploadedFile(f"p{i}.png", PNG, content_type="image/png") for i in range(6)]
    response = client.post(URL, {**_form(code=sent), "photos": photos})
    assert response.status_code == 400 and "at most 5 files" in response.content.decode()


def test_missing_fields_are_named(client, db):
    response = client.post(URL, _form(name="", description="  "))
    assert response.status_code == 400
    assert response.content.decode().count("invalid-feedback") >= 2


def test_done_page_with_a_forged_token_shows_only_thanks(client, db):
    response = client.get("/request/done/zz-forged/?lang=en")
    assert response.status_code == 200 and "ticket-number" not in response.content.decode()


def test_bench_submissions_posts_real_requests(db):
    """bench_portal's online-request case (portal.intake.bench_submissions) creates what a customer would."""
    from portal.intake import bench_submissions

    def time_one(call, count, expect=200):
        for i in range(count):
            assert call(i).status_code == expect
        return {"median_ms": 1.0}

    result = bench_submissions(count=3, time_one=time_one)
    assert result["request"]["per_second"] > 0
    assert Ticket.objects.filter(channel="web").count() == 3
    assert Customer.objects.filter(self_registered=True, is_verified=False).count() == 3
