"""A customer who replies TD / 退订 to our SMS gets no more progress messages (issue 15 item 4)."""
import json

import pytest
from django.urls import reverse

from portal.services import is_stop_reply

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("text,stop", [("TD", True), ("td", True), (" 退订 ", True), ("【TD】", True), ("T", True),
                                       ("好的，谢谢", False), ("TDD", False), ("", False)])
def test_stop_words(text, stop):
    assert is_stop_reply(text) is stop


def _push(client, token, payload):
    return client.post(reverse("portal:sms_inbound", args=[token]), data=json.dumps(payload),
                       content_type="application/json")


def test_td_stops_that_customers_progress_messages(client, settings, customer_factory):
    settings.SMS_INBOUND_TOKEN = "s3cret-token"
    wang = customer_factory(name="王芳", phone="13912340001")
    li = customer_factory(name="李雷", phone="13912340002")
    response = _push(client, "s3cret-token", [{"phone_number": "13912340001", "content": "TD"},
                                              {"phone_number": "13912340002", "content": "谢谢"},
                                              {"phone_number": "13900000000", "content": "TD"}])
    assert response.status_code == 200 and response.json() == {"code": 0, "msg": "ok", "stopped": 1, "ignored": 2}
    wang.refresh_from_db()
    li.refresh_from_db()
    assert wang.progress_messages_stopped and not li.progress_messages_stopped
    # the gateway pushes again (it retries until it reads code 0): nothing changes
    assert _push(client, "s3cret-token", [{"phone_number": "+8613912340001", "content": "退订"}]).json()["stopped"] == 0


@pytest.mark.parametrize("configured,used", [("", "anything"), ("right", "wrong")])
def test_without_the_right_token_nothing_is_there(client, settings, customer_factory, configured, used):
    settings.SMS_INBOUND_TOKEN = configured
    customer = customer_factory(phone="13912340001")
    assert _push(client, used, [{"phone_number": "13912340001", "content": "TD"}]).status_code == 404
    customer.refresh_from_db()
    assert not customer.progress_messages_stopped


@pytest.mark.parametrize("body", ["not json", json.dumps("a string"), json.dumps(5)])
def test_bad_bodies_get_a_clear_400(client, settings, body):
    settings.SMS_INBOUND_TOKEN = "t"
    response = client.post(reverse("portal:sms_inbound", args=["t"]), data=body, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == 1


def test_only_post(client, settings):
    settings.SMS_INBOUND_TOKEN = "t"
    assert client.get(reverse("portal:sms_inbound", args=["t"])).status_code == 405
