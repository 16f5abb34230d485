"""The phone system's events through the API (scope calls:write): ringing pops the card for whoever sits at
the extension, ended records the exchange's times; bad input is a 400 with the field."""
from datetime import timedelta

import pytest
from django.utils import timezone

from servicedesk.models import StaffProfile
from telephony.models import Call

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk_at_8001(personas):
    user = personas.frontdesk
    StaffProfile.objects.update_or_create(user=user, defaults={"extension": "8001"})
    return user


def test_ringing_then_ended(api_for, customer_factory, desk_at_8001):
    # given the caller on file and the exchange's token (only calls:write)
    wang = customer_factory(name="王芳", phone="13812345678")
    exchange = api_for(["calls:write"])
    rang = timezone.now() - timedelta(minutes=3)
    # when the exchange reports the ring, in its own number format
    response = exchange.post("/api/v1/calls/ringing/", {"call_id": "pbx-77", "from": "+86 138-1234-5678",
                                                        "extension": "8001", "at": rang.isoformat()})
    # then the call is recorded for the customer and the person at 8001
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["customer"] == wang.pk and body["user"] == desk_at_8001.pk and body["caller_e164"] == "+8613812345678"
    # a repeat of the same ring is the same call
    again = exchange.post("/api/v1/calls/ringing/", {"call_id": "pbx-77", "from": "13812345678", "extension": "8001"})
    assert again.json()["id"] == body["id"] and Call.objects.count() == 1
    # when it ends
    ended = exchange.post("/api/v1/calls/ended/", {"call_id": "pbx-77", "duration_seconds": 150,
                                                   "recording_url": "https://pbx.example.cn/rec/77.mp3"})
    assert ended.status_code == 200, ended.content
    call = Call.objects.get()
    assert call.duration_seconds == 150 and call.ended_at is not None
    assert call.recording_url == "https://pbx.example.cn/rec/77.mp3"


def test_unknown_number_is_recorded_without_customer(api, desk_at_8001):
    body = api.post("/api/v1/calls/ringing/", {"call_id": "pbx-1", "from": "anonymous", "extension": "8001"}).json()
    assert body["customer"] is None and body["caller"] == "anonymous"


def test_bad_call_events_are_400_with_the_field(api):
    cases = [
        ({"call_id": "x", "extension": "8001"}, "from"),
        ({"call_id": "", "from": "1", "extension": "8001"}, "call_id"),
        ({"call_id": "x", "from": "1", "extension": "8001", "at": "yesterday"}, "at"),
    ]
    for body, field in cases:
        response = api.post("/api/v1/calls/ringing/", body)
        assert response.status_code == 400 and field in response.json()["error"]["fields"], (body, response.content)
    unknown = api.post("/api/v1/calls/ended/", {"call_id": "never-rang"})
    assert unknown.status_code == 400 and unknown.json()["error"]["fields"] == {
        "call_id": ["No ringing was reported for this call."]}
    assert unknown.json()["error"]["code"] == "unknown_call"
    bad = api.post("/api/v1/calls/ended/", {"call_id": "x", "duration_seconds": -1, "recording_url": "ftp://x"})
    assert set(bad.json()["error"]["fields"]) == {"duration_seconds", "recording_url"}


def test_other_scopes_cannot_report_calls(api_for):
    response = api_for(["customers:read", "tickets:write"]).post(
        "/api/v1/calls/ringing/", {"call_id": "x", "from": "13812345678", "extension": "8001"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "missing_scope"
