"""portal/intake.py: SMS codes and the online request (issue 15 item 3), through the services."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from customers.models import Customer, CustomerPhone
from portal import intake
from portal.models import PortalSettings, VerificationCode
from servicedesk.models import OutboxMessage
from sla.models import SLAClock
from tickets.models import Ticket, TicketAttachment

from .request_fixtures import _local_cache, sms_code  # noqa: F401 (fixtures)

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 16, 10, 0, tzinfo=SH)
MOBILE = "138 1234 5678"
E164 = "+8613812345678"


def _request(**overrides):
    values = {"name": "王芳", "mobile": MOBILE, "kind": "repair", "description": "空调不制冷，室内机滴水。",
              "product": "空调 KFR-35GW", "contact_time": "evening", "language": "zh-hans"}
    values.update(overrides)
    return intake.OnlineRequest(**values)


def _send(now=NOW, mobile=MOBILE):
    return intake.verification_code_send(mobile=mobile, ip="203.0.113.7", now=now)


@pytest.mark.django_db
def test_code_is_texted_through_the_outbox_and_stored_only_hashed(sms_code):
    # when
    row = _send()
    # then
    message = OutboxMessage.objects.get(kind="portal.code")
    assert (message.channel, message.to) == ("sms", E164)
    code = sms_code(E164)
    assert code not in row.code_hash and len(code) == 6
    assert row.expires_at == NOW + timedelta(minutes=10)
    assert intake.verification_code_check(mobile=MOBILE, code=code, now=NOW).pk == row.pk


@pytest.mark.django_db
def test_new_code_within_a_minute_says_how_long_to_wait():
    _send()
    with pytest.raises(ValidationError) as exc:
        _send(now=NOW + timedelta(seconds=45))
    assert exc.value.code == "wait" and exc.value.params["seconds"] == 15
    _send(now=NOW + timedelta(seconds=60))
    assert VerificationCode.objects.count() == 2


@pytest.mark.django_db
def test_a_landline_or_junk_gets_no_code():
    for raw in ("010-12345678", "12345", ""):
        with pytest.raises(ValidationError):
            _send(mobile=raw)
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db
def test_five_wrong_guesses_lock_the_code(sms_code):
    # given
    _send()
    right = sms_code(E164)
    wrong = "000000" if right != "000000" else "111111"
    # when
    codes = []
    for _i in range(5):
        with pytest.raises(ValidationError) as exc:
            intake.verification_code_check(mobile=MOBILE, code=wrong, now=NOW)
        codes.append(exc.value.code)
    # then: the right code no longer opens it
    assert codes == ["wrong"] * 4 + ["locked"]
    with pytest.raises(ValidationError) as exc:
        intake.verification_code_check(mobile=MOBILE, code=right, now=NOW)
    assert exc.value.code == "locked"
    assert VerificationCode.objects.get().attempts == 5


@pytest.mark.django_db
def test_expired_code_is_refused(sms_code):
    _send()
    with pytest.raises(ValidationError) as exc:
        intake.verification_code_check(mobile=MOBILE, code=sms_code(E164), now=NOW + timedelta(minutes=10))
    assert exc.value.code == "expired"


@pytest.mark.django_db
def test_only_the_newest_code_counts(sms_code):
    _send()
    old = sms_code(E164)
    _send(now=NOW + timedelta(minutes=2))
    new = sms_code(E164)
    if old != new:
        with pytest.raises(ValidationError):
            intake.verification_code_check(mobile=MOBILE, code=old, now=NOW + timedelta(minutes=3))
    intake.verification_code_check(mobile=MOBILE, code=new, now=NOW + timedelta(minutes=3))


@pytest.mark.django_db
def test_new_mobile_creates_an_unverified_web_customer_and_a_web_ticket(sms_code):
    # given
    _send()
    photo = SimpleUploadedFile("leak.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, content_type="image/png")
    # when
    ticket, created = intake.online_request_create(request=_request(), code=sms_code(E164),
                                                   files=[(photo, "image/png")], now=NOW)
    # then
    assert created
    customer = ticket.customer
    assert (customer.name, customer.self_registered, customer.is_verified) == ("王芳", True, False)
    assert (customer.owner, customer.first_contact_by, customer.first_contact_channel) == (None, None, "web")
    assert customer.first_contact_at == NOW and customer.preferred_language == "zh-hans"
    assert list(customer.phones.values_list("number", flat=True)) == [E164]
    assert (ticket.kind, ticket.channel, ticket.created_by.username) == ("repair", "web", "portal")
    assert ticket.subject.startswith("空调不制冷")  # the customer's own first words
    assert "Product / model: 空调 KFR-35GW" in ticket.description
    assert "Preferred contact time: Evenings (18:00–21:00)" in ticket.description
    assert SLAClock.objects.filter(ticket=ticket).exists()
    assert TicketAttachment.objects.filter(ticket=ticket).count() == 1
    ack = OutboxMessage.objects.get(kind="portal.ack")
    assert ack.to == E164 and "/t/" in ack.body and ticket.number in ack.body
    assert VerificationCode.objects.get().used_at == NOW


@pytest.mark.django_db
def test_known_mobile_attaches_to_the_customer_on_file(customer_factory, sms_code):
    # given
    known = customer_factory(name="Wang Fang", phone="13812345678")
    _send()
    # when
    ticket, created = intake.online_request_create(request=_request(name="王小芳"), code=sms_code(E164), now=NOW)
    # then: no duplicate, the record on file untouched
    assert not created and ticket.customer == known
    assert Customer.objects.count() == 1
    known.refresh_from_db()
    assert (known.name, known.is_verified, known.self_registered) == ("Wang Fang", True, False)
    assert "Name given online: 王小芳" in ticket.description


@pytest.mark.django_db
def test_mobile_of_a_merged_duplicate_goes_to_the_survivor(customer_factory, personas, sms_code):
    from customers.services import customer_merge

    survivor = customer_factory(name="Survivor", phone="13900000001")
    duplicate = customer_factory(name="Duplicate", phone="13812345678")
    customer_merge(survivor=survivor, duplicate=duplicate, merged_by=personas.supervisor)
    _send()
    ticket, created = intake.online_request_create(request=_request(), code=sms_code(E164), now=NOW)
    assert not created and ticket.customer == survivor


@pytest.mark.django_db
def test_a_code_opens_one_ticket_only(sms_code):
    _send()
    code = sms_code(E164)
    intake.online_request_create(request=_request(), code=code, now=NOW)
    with pytest.raises(ValidationError) as exc:
        intake.online_request_create(request=_request(), code=code, now=NOW + timedelta(minutes=1))
    assert exc.value.code == "used"
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_wrong_code_is_counted_even_though_the_request_fails(sms_code):
    _send()
    with pytest.raises(ValidationError):
        intake.online_request_create(request=_request(), code="12345x", now=NOW)
    assert VerificationCode.objects.get().attempts == 1
    assert not Ticket.objects.exists() and not Customer.objects.exists()


@pytest.mark.django_db
def test_per_mobile_day_limit_is_counted_in_the_database(sms_code):
    # given: the limit is 2 and two requests were made (the cache plays no part)
    cfg = PortalSettings.current()
    cfg.requests_per_mobile_day = 2
    cfg.save()
    for minutes in (0, 2):
        _send(now=NOW + timedelta(minutes=minutes))
        intake.online_request_create(request=_request(), code=sms_code(E164), now=NOW + timedelta(minutes=minutes))
    # when / then: no third code, no third ticket
    with pytest.raises(ValidationError) as exc:
        _send(now=NOW + timedelta(minutes=5))
    assert exc.value.code == "mobile_limit"
    # then: a day after the first, one more is allowed
    _send(now=NOW + timedelta(hours=24, minutes=1))
    intake.online_request_create(request=_request(), code=sms_code(E164), now=NOW + timedelta(hours=24, minutes=1))
    assert Ticket.objects.count() == 3


@pytest.mark.django_db
def test_codes_per_mobile_per_day_are_bounded():
    cfg = PortalSettings.current()
    cfg.requests_per_mobile_day = 1
    cfg.save()
    for i in range(intake.CODES_PER_REQUEST):
        _send(now=NOW + timedelta(minutes=2 * i))
    with pytest.raises(ValidationError) as exc:
        _send(now=NOW + timedelta(minutes=30))
    assert exc.value.code == "mobile_codes_limit"


def test_mobile_masked():
    assert intake.mobile_masked(E164) == "138****5678"


@pytest.mark.django_db
def test_front_desk_confirms_a_self_registered_customer(personas, sms_code):
    from customers.models import CustomerEvent
    from customers.services import customer_verify

    _send()
    ticket, _created = intake.online_request_create(request=_request(), code=sms_code(E164), now=NOW)
    # when
    customer = customer_verify(customer=ticket.customer, actor=personas.frontdesk)
    # then
    assert customer.is_verified and customer.owner == personas.frontdesk
    assert customer.first_contact_by == personas.frontdesk and customer.first_contact_channel == "web"
    event = CustomerEvent.objects.filter(customer=customer, kind="updated").get()
    assert event.actor == personas.frontdesk and event.data["changes"]["is_verified"] == [False, True]
    # a second confirm changes nothing
    customer_verify(customer=customer, actor=personas.agent)
    assert CustomerEvent.objects.filter(customer=customer, kind="updated").count() == 1


@pytest.mark.django_db
def test_confirming_needs_change_customer(personas, customer_factory):
    from customers.services import customer_verify

    customer = customer_factory()
    with pytest.raises(ValidationError):
        customer_verify(customer=customer, actor=personas.outsider)
