"""Caller screen-pop: the phone system's ring and hang-up, the card at the desk, logging the call."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from customers.models import Contact
from customers.services import asset_create, customer_merge
from servicedesk.models import StaffProfile
from telephony import services
from telephony.models import Call
from tickets.services import ticket_create

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=SH)


def at_desk(user, extension="8001"):
    StaffProfile.objects.update_or_create(user=user, defaults={"extension": extension})
    return user


@pytest.fixture(autouse=True)
def clock_at_t0():
    """Calls below ring at T0 and a card pops only for recent calls: the clock starts at T0 whatever the day."""
    with time_machine.travel(T0 + timedelta(seconds=5), tick=True):
        yield


@pytest.fixture
def desk(personas):
    return at_desk(personas.frontdesk)


# --- the services ------------------------------------------------------------------------------------

def test_ringing_finds_the_customer_by_any_format_and_the_person_at_the_extension(desk, customer_factory):
    customer = customer_factory(name="李娜", phone="13812345678")
    call = services.call_ringing(call_id="pbx-1", caller="+86 138-1234-5678", extension="8001", at=T0)
    assert (call.customer_id, call.user_id, call.caller_e164, call.rang_at) == (customer.pk, desk.pk, "+8613812345678", T0)


def test_a_repeated_ringing_is_the_same_call_and_keeps_the_first_time(desk):
    first = services.call_ringing(call_id="pbx-2", caller="13812345678", extension="8001", at=T0)
    again = services.call_ringing(call_id="pbx-2", caller="13812345678", extension="8001", at=T0 + timedelta(seconds=5))
    assert again.pk == first.pk and again.rang_at == T0 and Call.objects.count() == 1


def test_withheld_and_unreadable_numbers_are_kept_as_sent_and_pop_unknown(desk):
    withheld = services.call_ringing(call_id="pbx-3", caller="", extension="8001", at=T0)
    odd = services.call_ringing(call_id="pbx-4", caller="anonymous", extension="8001", at=T0)
    assert (withheld.caller_e164, withheld.customer_id) == ("", None)
    assert (odd.caller_raw, odd.caller_e164, odd.customer_id) == ("anonymous", "", None)


def test_an_extension_nobody_holds_is_recorded_with_nobody_shown(db):
    call = services.call_ringing(call_id="pbx-5", caller="13812345678", extension="8999", at=T0)
    assert call.user_id is None


def test_an_inactive_persons_extension_pops_for_nobody(desk):
    desk.is_active = False
    desk.save()
    assert services.call_ringing(call_id="pbx-6", caller="13812345678", extension="8001", at=T0).user_id is None


def test_an_extension_on_a_technicians_profile_pops_for_nobody(personas):
    at_desk(personas.technician, "8005")
    assert services.call_ringing(call_id="pbx-6t", caller="13812345678", extension="8005", at=T0).user_id is None


@pytest.mark.parametrize("fields, key", [
    ({"call_id": "", "caller": "1", "extension": "8001"}, "call_id"),
    ({"call_id": "x" * 65, "caller": "1", "extension": "8001"}, "call_id"),
    ({"call_id": "a", "caller": "1", "extension": "80 01"}, "extension"),
    ({"call_id": "a", "caller": "1", "extension": "<script>"}, "extension"),
    ({"call_id": "a", "caller": "1" * 41, "extension": "8001"}, "from"),
    ({"call_id": "a", "caller": "1", "extension": "8001", "at": datetime(2026, 11, 30, 9)}, "at"),
])
def test_bad_ringing_reports_are_refused_by_field(db, fields, key):
    with pytest.raises(ValidationError) as exc:
        services.call_ringing(**fields)
    assert key in exc.value.message_dict
    assert not Call.objects.exists()


def test_a_merged_duplicates_number_leads_to_the_survivor(desk, customer_factory, personas):
    survivor = customer_factory(name="Survivor", phone="13900000001")
    duplicate = customer_factory(name="Duplicate", phone="13900000002")
    customer_merge(survivor=survivor, duplicate=duplicate, merged_by=personas.supervisor)
    call = services.call_ringing(call_id="pbx-7", caller="13900000002", extension="8001", at=T0)
    assert call.customer_id == survivor.pk


def test_ended_records_the_exchanges_duration_once_and_adds_a_later_recording(desk):
    services.call_ringing(call_id="pbx-8", caller="13812345678", extension="8001", at=T0)
    ended = services.call_ended(call_id="pbx-8", at=T0 + timedelta(seconds=200), duration_seconds=192)
    again = services.call_ended(call_id="pbx-8", at=T0 + timedelta(seconds=900), duration_seconds=5,
                                recording_url="https://pbx.example.com/rec/8.mp3")
    assert (again.ended_at, again.duration_seconds) == (T0 + timedelta(seconds=200), 192)
    assert again.recording_url == "https://pbx.example.com/rec/8.mp3"
    assert ended.pk == again.pk


def test_ended_without_a_duration_counts_from_the_ring(desk):
    services.call_ringing(call_id="pbx-9", caller="13812345678", extension="8001", at=T0)
    assert services.call_ended(call_id="pbx-9", at=T0 + timedelta(seconds=61)).duration_seconds == 61


@pytest.mark.parametrize("kwargs, key", [
    ({"call_id": "nope"}, "call_id"),
    ({"call_id": "pbx-10", "at": T0 - timedelta(seconds=1)}, "at"),
    ({"call_id": "pbx-10", "duration_seconds": -1}, "duration_seconds"),
    ({"call_id": "pbx-10", "recording_url": "javascript:alert(1)"}, "recording_url"),
    ({"call_id": "pbx-10", "recording_url": "ftp://pbx/x"}, "recording_url"),
])
def test_bad_end_reports_are_refused_by_field(desk, kwargs, key):
    services.call_ringing(call_id="pbx-10", caller="13812345678", extension="8001", at=T0)
    with pytest.raises(ValidationError) as exc:
        services.call_ended(**kwargs)
    assert key in exc.value.message_dict
    assert Call.objects.get(call_id="pbx-10").ended_at is None


def test_logging_while_talking_gets_the_end_time_when_the_call_ends(desk, customer_factory):
    customer = customer_factory(phone="13812345678")
    call = services.call_ringing(call_id="pbx-11", caller="13812345678", extension="8001", at=T0)
    contact = services.call_log(call=call, handled_by=desk, purpose=Contact.Purpose.REPAIR, notes="打印机卡纸")
    assert (contact.customer_id, contact.started_at, contact.ended_at) == (customer.pk, T0, None)
    services.call_ended(call_id="pbx-11", at=T0 + timedelta(minutes=3), duration_seconds=170)
    contact.refresh_from_db()
    assert contact.ended_at == T0 + timedelta(minutes=3)
    with pytest.raises(ValidationError):
        services.call_log(call=call, handled_by=desk, purpose=Contact.Purpose.REPAIR)
    assert Contact.objects.count() == 1


def test_dismiss_is_only_for_the_person_it_popped_for(desk, personas):
    call = services.call_ringing(call_id="pbx-12", caller="13812345678", extension="8001", at=T0)
    assert services.call_dismiss(call=call, user=personas.agent) is False
    assert services.call_dismiss(call=call, user=desk) is True
    assert Call.objects.get(pk=call.pk).dismissed_at is not None


# --- the card at the desk ----------------------------------------------------------------------------

def pop(client, shown=""):
    return client.get(reverse("telephony:pop"), {"shown": shown}, HTTP_HX_REQUEST="true")


def shown_state(response) -> str:
    import re

    return re.search(r'name="shown" value="([^"]*)"', response.content.decode()).group(1)


def test_a_person_without_an_extension_is_told_to_stop_polling(client_for):
    assert pop(client_for("agent")).status_code == 286


def test_the_card_pops_changes_when_the_call_ends_and_goes_when_dismissed(desk, client_for, customer_factory, personas):
    customer = customer_factory(name="王建国", phone="13812345678", is_key_account=True)
    ticket = ticket_create(customer=customer, kind="repair", subject="空调不制冷", created_by=personas.agent)
    asset_create(customer=customer, created_by=desk, product="空调", install_date=datetime(2025, 6, 1).date(),
                 warranty_end=datetime(2027, 6, 1).date())
    client = client_for("frontdesk")
    with time_machine.travel(T0, tick=False):
        assert pop(client).status_code == 204  # nothing rang: the page keeps what it shows
        services.call_ringing(call_id="pbx-20", caller="138 1234 5678", extension="8001")
        card = pop(client)
        body = card.content.decode()
        assert card.status_code == 200
        for text in ("王建国", ticket.number, "空调不制冷", "Key account", "in warranty until 2027-06-01", "Incoming call"):
            assert text in body
        state = shown_state(card)
        assert pop(client, state).status_code == 204  # same call, same state: nothing swapped
    with time_machine.travel(T0 + timedelta(minutes=3), tick=False):
        services.call_ended(call_id="pbx-20", duration_seconds=175)
        ended = pop(client, state)
        assert "Call ended · 2 min 55 s" in ended.content.decode()
        call = Call.objects.get(call_id="pbx-20")
        gone = client.post(reverse("telephony:dismiss", args=[call.pk]), HTTP_HX_REQUEST="true")
        assert gone.status_code == 200 and shown_state(gone) == "" and "call-pop-card" not in gone.content.decode()
        assert pop(client, "").status_code == 204


def test_an_unknown_number_offers_to_create_the_customer_with_the_number(desk, client_for):
    client = client_for("frontdesk")
    with time_machine.travel(T0, tick=False):
        services.call_ringing(call_id="pbx-21", caller="13700001111", extension="8001")
        body = pop(client).content.decode()
    assert "Unknown number: no customer has it." in body
    assert reverse("customers:create") + "?channel=phone&amp;q=%2B8613700001111" in body


def test_a_card_older_than_half_an_hour_no_longer_pops(desk, client_for):
    client = client_for("frontdesk")
    services.call_ringing(call_id="pbx-22", caller="13700001111", extension="8001", at=T0)
    with time_machine.travel(T0 + timedelta(minutes=31), tick=False):
        assert pop(client).status_code == 204


def test_another_persons_call_never_pops_here(desk, client_for, personas):
    at_desk(personas.agent, "8002")
    services.call_ringing(call_id="pbx-23", caller="13700001111", extension="8001")
    assert pop(client_for("agent")).status_code == 204


def test_the_poll_is_cheap_and_the_card_costs_the_same_whatever_the_history(desk, client_for, customer_factory, personas,
                                                                            django_assert_max_num_queries):
    customer = customer_factory(phone="13812345678")
    client = client_for("frontdesk")
    with time_machine.travel(T0, tick=False):
        services.call_ringing(call_id="pbx-30", caller="13812345678", extension="8001")
        with django_assert_max_num_queries(12) as small:
            pop(client)
        for i in range(12):
            ticket_create(customer=customer, kind="repair", subject=f"故障 {i}", created_by=personas.agent)
            services.call_log(call=services.call_ringing(call_id=f"old-{i}", caller="13812345678", extension="8999"),
                              handled_by=desk, purpose=Contact.Purpose.INQUIRY)
        with django_assert_max_num_queries(len(small.captured_queries)) as big:
            body = pop(client).content.decode()
        assert "12 open tickets" in body and "All 12 open tickets on the customer's page" in body
        assert len(big.captured_queries) == len(small.captured_queries)
        state = shown_state(pop(client))
        with django_assert_max_num_queries(4):  # session, user, extension, pending call
            assert pop(client, state).status_code == 204


def test_log_this_call_saves_a_contact_with_the_phone_systems_times(desk, client_for, customer_factory):
    customer = customer_factory(phone="13812345678")
    client = client_for("frontdesk")
    call = services.call_ringing(call_id="pbx-40", caller="13812345678", extension="8001", at=T0)
    services.call_ended(call_id="pbx-40", at=T0 + timedelta(seconds=192), duration_seconds=185)
    page = client.get(reverse("telephony:log", args=[call.pk]))
    assert page.status_code == 200 and "3 min 5 s" in page.content.decode()
    done = client.post(reverse("telephony:log", args=[call.pk]), {"purpose": "repair", "notes": "热水器漏水"})
    assert done.status_code == 302 and done["Location"] == reverse("customers:detail", args=[customer.pk])
    contact = Contact.objects.get()
    assert (contact.customer_id, contact.started_at, contact.ended_at, contact.handled_by_id, contact.channel,
            contact.notes, contact.caller_phone) == (customer.pk, T0, T0 + timedelta(seconds=192), desk.pk, "phone",
                                                     "热水器漏水", "+8613812345678")
    assert Call.objects.get(pk=call.pk).contact_id == contact.pk
    again = client.post(reverse("telephony:log", args=[call.pk]), {"purpose": "repair"}, follow=True)
    assert "This call is already logged." in again.content.decode() and Contact.objects.count() == 1


def test_log_and_open_a_ticket_goes_to_the_ticket_form_with_the_contact(desk, client_for, customer_factory):
    customer = customer_factory(phone="13812345678")
    call = services.call_ringing(call_id="pbx-41", caller="13812345678", extension="8001", at=T0)
    done = client_for("frontdesk").post(reverse("telephony:log", args=[call.pk]), {"purpose": "repair", "save_ticket": "1"})
    contact = Contact.objects.get()
    assert done["Location"] == reverse("tickets:create") + f"?customer={customer.pk}&contact={contact.pk}"


def test_a_withheld_caller_needs_a_name_and_the_form_says_so_in_chinese(desk, client_for):
    call = services.call_ringing(call_id="pbx-42", caller="", extension="8001", at=T0)
    client = client_for("frontdesk")
    refused = client.post(reverse("telephony:log", args=[call.pk]), {"purpose": "inquiry"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert refused.status_code == 400 and not Contact.objects.exists()
    client.cookies.pop("django_language", None)
    refused_zh = client.post(reverse("telephony:log", args=[call.pk]), {"purpose": "inquiry"},
                             headers={"Accept-Language": "zh-hans"})
    assert "请选择客户" in refused_zh.content.decode() or "Choose a customer" in refused.content.decode()
    saved = client.post(reverse("telephony:log", args=[call.pk]), {"purpose": "inquiry", "caller_name": "不愿留名"})
    assert saved.status_code == 302 and Contact.objects.get().caller_name == "不愿留名"


def test_html_in_what_the_exchange_sends_is_escaped(desk, client_for):
    services.call_ringing(call_id="<b>x</b>", caller="<script>alert(1)</script>"[:40], extension="8001")
    body = pop(client_for("frontdesk")).content.decode()
    assert "<script>alert(1)" not in body and "&lt;script&gt;" in body


# --- who may do what ---------------------------------------------------------------------------------

@pytest.mark.parametrize("role, pop_code, list_code", [
    ("frontdesk", 200, 403), ("agent", 286, 403), ("supervisor", 286, 200), ("manager", 286, 200),
    ("technician", 403, 403), ("outsider", 403, 403),
])
def test_permissions_per_role(role, pop_code, list_code, client_for, desk):
    call = services.call_ringing(call_id="pbx-50", caller="13812345678", extension="8001", at=T0)
    client = client_for(role)
    assert pop(client).status_code == pop_code
    assert client.get(reverse("telephony:list")).status_code == list_code
    log_code = 403 if pop_code == 403 else 200
    assert client.get(reverse("telephony:log", args=[call.pk])).status_code == log_code
    # Dismissing is only for the person the card popped for.
    dismissed = client.post(reverse("telephony:dismiss", args=[call.pk])).status_code
    assert dismissed == {200: 302, 286: 404, 403: 403}[pop_code]


def test_anonymous_visitors_are_sent_to_sign_in(client, desk):
    call = services.call_ringing(call_id="pbx-51", caller="13812345678", extension="8001", at=T0)
    for url in (reverse("telephony:pop"), reverse("telephony:list"), reverse("telephony:log", args=[call.pk])):
        assert client.get(url).status_code == 302


def test_the_call_list_pages_and_shows_unlogged_calls(desk, client_for, django_assert_max_num_queries):
    for i in range(35):
        services.call_ringing(call_id=f"l-{i}", caller="13812345678", extension="8001" if i % 2 else "8999",
                              at=T0 + timedelta(minutes=i))
    client = client_for("supervisor")
    with django_assert_max_num_queries(14):
        first = client.get(reverse("telephony:list")).content.decode()
    assert first.count("Not logged: log it") == 30 and "Nobody who takes calls has this extension" in first
    second = client.get(reverse("telephony:list"), {"page": 2}).content.decode()
    assert second.count("Not logged: log it") == 5


def test_the_desk_page_polls_only_for_people_who_can_log_calls(client_for, desk):
    assert 'id="call-pop"' in client_for("frontdesk").get(reverse("customers:desk")).content.decode()
    assert 'id="call-pop"' not in client_for("technician").get(reverse("home"), follow=True).content.decode()


def test_extensions_are_unique_among_staff(personas, desk):
    from django.db import IntegrityError, transaction

    agent = personas.agent  # made outside the block the failure rolls back
    with pytest.raises(IntegrityError), transaction.atomic():
        at_desk(agent, "8001")
    at_desk(personas.agent, "")
    at_desk(personas.agent2, "")  # many people without an extension is fine


def test_the_call_list_masks_numbers_and_reveals_one_with_a_logged_click(desk, client_for, customer_factory):
    """Issue 19 (PIPL): a list, so the supervisor sees 138 **** 5678; the eye reveals the number the customer
    called from and the click is in the access log. The call's own page shows it in full."""
    from customers.models import PersonalDataAccess

    customer = customer_factory(name="王芳", phone="13812345678")
    known = services.call_ringing(call_id="m-1", caller="13812345678", extension="8001", at=T0)
    services.call_ringing(call_id="m-2", caller="13900001111", extension="8001", at=T0)  # nobody we know
    client = client_for("supervisor")
    body = client.get(reverse("telephony:list")).content.decode()
    assert "138 **** 5678" in body and "139 **** 1111" in body
    assert "138 1234 5678" not in body and "139 0000 1111" not in body
    reveal = reverse("customers:reveal", args=[customer.pk]) + f"?what=phone&place=call_list&ref=&call={known.pk}"
    assert reveal.replace("&", "&amp;") in body
    shown = client.post(reveal).content.decode()
    assert "138 1234 5678" in shown
    row = PersonalDataAccess.objects.get()
    assert (row.user.username, row.customer_id, row.action, row.place) == ("supervisor", customer.pk,
                                                                          "reveal_phone", "call_list")
    # a call id of someone else's call reveals nothing
    other = customer_factory(name="李雷")
    assert client.post(reverse("customers:reveal", args=[other.pk]) + f"?what=phone&call={known.pk}").status_code == 404
    assert "138 1234 5678" in client.get(reverse("telephony:log", args=[known.pk])).content.decode()
