"""The Alibaba Cloud SMS backend against a fake Dysmsapi: a real HTTP server on 127.0.0.1 that checks
the signature (recomputed here, independently of the backend's code), the Timestamp's freshness and
the nonce, records every request and answers as told. Through the real outbox too. Nothing mocked."""
import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone as dt_timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import checks
from django.utils import timezone

from followups.delivery import DeliveryError, PermanentDeliveryError, get_sms_backend
from followups.sms_aliyun import AliyunSmsBackend, phone_number, sign
from servicedesk.models import OutboxMessage
from servicedesk.outbox import backoff, outbox_add, outbox_deliver

S = OutboxMessage.Status
KEY_ID, SECRET = "LTAI5tTestKeyId", "test-secret/+=~ 秘"
BACKEND = "followups.sms_aliyun.AliyunSmsBackend"
UNRESERVED = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"


def rfc3986(value: str) -> str:
    """Written out byte by byte (not urllib.parse.quote, which the backend uses)."""
    return "".join(chr(b) if b in UNRESERVED else f"%{b:02X}" for b in value.encode("utf-8"))


def expected_signature(params: dict[str, str], secret: str) -> str:
    query = "&".join(f"{rfc3986(k)}={rfc3986(v)}" for k, v in sorted(params.items()))
    string_to_sign = "GET&%2F&" + rfc3986(query)
    return base64.b64encode(hmac.new((secret + "&").encode(), string_to_sign.encode(), hashlib.sha1).digest()).decode()


class FakeDysmsapi:
    """What https://dysmsapi.aliyuncs.com/ does with a SendSms GET, as far as these tests need."""

    MAX_SKEW = timedelta(minutes=15)

    def __init__(self, *, key_id=KEY_ID, secret=SECRET):
        self.keys = {key_id: secret}
        self.requests: list[dict[str, str]] = []  # every request that arrived, verified or not
        self.accepted: list[dict[str, str]] = []  # the ones that passed the checks
        self.nonces: set[str] = set()
        self.status, self.code, self.delay = 200, "OK", 0.0
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 — http.server's name
                status, answer = fake.handle(self.path)
                body = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:  # the client gave up (timeout test)
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True  # a delayed answer must not hold up shutdown
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def answer_with(self, *, status=200, code="OK", delay=0.0):
        self.status, self.code, self.delay = status, code, delay

    def handle(self, path: str) -> tuple[int, dict]:
        params = {k: v[0] for k, v in parse_qs(urlsplit(path).query, keep_blank_values=True).items()}
        request_id = str(uuid.uuid4()).upper()
        with self.lock:
            self.requests.append(params)
        signature = params.pop("Signature", "")
        secret = self.keys.get(params.get("AccessKeyId", ""))
        if secret is None:
            return 404, {"Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found.",
                         "RequestId": request_id}
        try:
            stamp = datetime.strptime(params.get("Timestamp", ""), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt_timezone.utc)
        except ValueError:
            return 400, {"Code": "IllegalTimestamp", "Message": "The input parameter Timestamp is not valid.",
                         "RequestId": request_id}
        if abs(datetime.now(dt_timezone.utc) - stamp) > self.MAX_SKEW:
            return 400, {"Code": "InvalidTimeStamp.Expired", "Message": "Specified time stamp or date header is expired.",
                         "RequestId": request_id}
        if signature != expected_signature(params, secret):
            return 400, {"Code": "SignatureDoesNotMatch",
                         "Message": "Specified signature is not matched with our calculation.", "RequestId": request_id}
        with self.lock:
            if params.get("SignatureNonce", "") in self.nonces:
                return 400, {"Code": "SignatureNonceUsed", "Message": "Specified signature nonce was used already.",
                             "RequestId": request_id}
            self.nonces.add(params["SignatureNonce"])
            self.accepted.append(params)
        if self.delay:
            time.sleep(self.delay)
        if self.status == 200 and self.code == "OK":
            return 200, {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": request_id}
        return self.status, {"Code": self.code, "Message": f"scripted {self.code}", "RequestId": request_id}


@pytest.fixture
def fake():
    server = FakeDysmsapi()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def aliyun(settings, fake):
    settings.SMS_DELIVERY_BACKEND = BACKEND
    settings.ALIYUN_SMS_ACCESS_KEY_ID = KEY_ID
    settings.ALIYUN_SMS_ACCESS_KEY_SECRET = SECRET
    settings.ALIYUN_SMS_SIGN_NAME = "某某家电服务"
    settings.ALIYUN_SMS_TEMPLATE_CODE = "SMS_465391234"
    settings.ALIYUN_SMS_ENDPOINT = fake.url
    settings.ALIYUN_SMS_TIMEOUT = 2
    return settings


def test_signature_matches_the_vendors_worked_example():
    # help.aliyun.com "签名机制" example: AccessKey testid / testsecret, DescribeRegions
    params = {"TimeStamp": "2016-02-23T12:46:24Z", "Format": "XML", "AccessKeyId": "testid",
              "Action": "DescribeRegions", "SignatureMethod": "HMAC-SHA1",
              "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "Version": "2014-05-26",
              "SignatureVersion": "1.0"}
    assert sign(params, "testsecret") == "CT9X0VtwR86fNWSnsc6v8YGOjuE="
    assert expected_signature(params, "testsecret") == "CT9X0VtwR86fNWSnsc6v8YGOjuE="


@pytest.mark.parametrize(("e164", "sent"), [
    ("+8613812345678", "13812345678"), ("+85291234567", "85291234567"), ("+1 415 555 0100", "14155550100"),
    ("13812345678", "13812345678"),
])
def test_phone_numbers(e164, sent):
    assert phone_number(e164) == sent


def test_successful_send_carries_exactly_these_parameters(aliyun, fake):
    # given a Chinese reply with a link, spaces and characters the encoding must escape
    text = "您好，您的空调维修已完成。评价：https://sd.example.cn/s/Ab3+dE~9 谢谢！"
    # when the backend the outbox would pick sends it
    backend = get_sms_backend()
    assert isinstance(backend, AliyunSmsBackend)
    backend.send("+8613812345678", text, idempotency_key="4f1c0e2a9b")
    # then the fake verified the signature and received exactly this
    assert len(fake.requests) == len(fake.accepted) == 1
    got = fake.accepted[0]
    assert set(got) == {"AccessKeyId", "Action", "Format", "OutId", "PhoneNumbers", "RegionId", "SignName",
                        "SignatureMethod", "SignatureNonce", "SignatureVersion", "TemplateCode", "TemplateParam",
                        "Timestamp", "Version"}
    assert {k: got[k] for k in got if k not in ("SignatureNonce", "Timestamp")} == {
        "AccessKeyId": KEY_ID, "Action": "SendSms", "Format": "JSON", "OutId": "4f1c0e2a9b",
        "PhoneNumbers": "13812345678", "RegionId": "cn-hangzhou", "SignName": "某某家电服务",
        "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "TemplateCode": "SMS_465391234",
        "TemplateParam": json.dumps({"content": text}, ensure_ascii=False), "Version": "2017-05-25",
    }
    assert json.loads(got["TemplateParam"]) == {"content": text}
    stamp = datetime.strptime(got["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt_timezone.utc)
    assert abs(datetime.now(dt_timezone.utc) - stamp) < timedelta(seconds=5)
    # a second message is signed with a fresh nonce (the fake refuses a replayed one)
    backend.send("+85291234567", "Hi", idempotency_key="k2")
    assert fake.accepted[1]["PhoneNumbers"] == "85291234567"
    assert fake.accepted[0]["SignatureNonce"] != fake.accepted[1]["SignatureNonce"]


def test_the_fake_refuses_replays_and_stale_requests(aliyun, fake):
    """The fake's own checks: a backend bug there would otherwise pass unseen."""
    backend = AliyunSmsBackend()
    params = backend.request_params("+8613812345678", "x", nonce="fixed-nonce")
    params["Signature"] = sign(params, SECRET)
    from urllib.parse import quote, urlencode

    assert fake.handle("/?" + urlencode(params, quote_via=quote))[0] == 200
    assert fake.handle("/?" + urlencode(params, quote_via=quote))[1]["Code"] == "SignatureNonceUsed"
    stale = backend.request_params("+8613812345678", "x", now=datetime.now(dt_timezone.utc) - timedelta(minutes=16))
    stale["Signature"] = sign(stale, SECRET)
    assert fake.handle("/?" + urlencode(stale, quote_via=quote))[1]["Code"] == "InvalidTimeStamp.Expired"
    params["SignatureNonce"] = "another"  # changed after signing
    assert fake.handle("/?" + urlencode(params, quote_via=quote))[1]["Code"] == "SignatureDoesNotMatch"


def test_wrong_secret_is_permanent(aliyun, fake):
    aliyun.ALIYUN_SMS_ACCESS_KEY_SECRET = "not-the-secret"
    with pytest.raises(PermanentDeliveryError, match="HTTP 400 SignatureDoesNotMatch"):
        AliyunSmsBackend().send("+8613812345678", "x", idempotency_key="k")
    assert len(fake.requests) == 1 and fake.accepted == []


@pytest.mark.parametrize(("status", "code", "error"), [
    (200, "isv.BUSINESS_LIMIT_CONTROL", DeliveryError),
    (400, "Throttling.User", DeliveryError),
    (200, "isp.SYSTEM_ERROR", DeliveryError),
    (200, "isv.AMOUNT_NOT_ENOUGH", DeliveryError),
    (200, "isv.SOMETHING_NEW", DeliveryError),  # not in the table: retried
    (500, "InternalError", DeliveryError),
    (503, "", DeliveryError),
    (200, "isv.MOBILE_NUMBER_ILLEGAL", PermanentDeliveryError),
    (200, "isv.SMS_TEMPLATE_ILLEGAL", PermanentDeliveryError),
    (200, "isv.SMS_SIGNATURE_ILLEGAL", PermanentDeliveryError),
    (200, "isv.CUSTOMER_REFUSED", PermanentDeliveryError),
    (200, "isv.SMS_CONTENT_ILLEGAL", PermanentDeliveryError),
    (200, "isv.PARAM_LENGTH_LIMIT", PermanentDeliveryError),
    (403, "isp.RAM_PERMISSION_DENY", PermanentDeliveryError),
])
def test_error_codes(aliyun, fake, status, code, error):
    fake.answer_with(status=status, code=code)
    with pytest.raises(error) as raised:
        AliyunSmsBackend().send("+8613812345678", "x", idempotency_key="k")
    assert type(raised.value) is error and f"HTTP {status}" in str(raised.value)


@pytest.mark.django_db
def test_throttled_through_the_outbox_goes_back_to_pending(aliyun, fake):
    # given the platform's flow control for this number
    fake.answer_with(code="isv.BUSINESS_LIMIT_CONTROL")
    now = timezone.now()
    row = outbox_add(kind="test", channel="sms", to="+8613812345678", body="您的工单已处理", now=now)
    # when the outbox delivers
    assert outbox_deliver(now=now) == {"claimed": 1, "sent": 0, "failed": 1, "gave_up": 0}
    # then it waits for the back-off, with the code recorded
    row.refresh_from_db()
    assert (row.status, row.attempts, row.next_attempt_at) == (S.PENDING, 1, now + backoff(1))
    assert "isv.BUSINESS_LIMIT_CONTROL" in row.last_error and row.last_error.startswith("DeliveryError: ")
    assert fake.accepted[0]["OutId"] == row.idempotency_key
    # and once the limit lifts, the next attempt is sent with the same OutId
    fake.answer_with()
    assert outbox_deliver(now=now + backoff(1))["sent"] == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (S.SENT, 2, "")
    assert [r["OutId"] for r in fake.accepted] == [row.idempotency_key] * 2


@pytest.mark.django_db
def test_permanent_code_through_the_outbox_fails_after_one_attempt(aliyun, fake):
    fake.answer_with(code="isv.MOBILE_NUMBER_ILLEGAL")
    now = timezone.now()
    row = outbox_add(kind="test", channel="sms", to="+8610000000000", body="x", now=now)
    assert outbox_deliver(now=now)["gave_up"] == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.next_attempt_at) == (S.FAILED, 1, None)
    assert row.last_error.startswith("PermanentDeliveryError: Aliyun SMS HTTP 200 isv.MOBILE_NUMBER_ILLEGAL")
    assert outbox_deliver(now=now + timedelta(days=1))["claimed"] == 0 and len(fake.requests) == 1


def test_timeout_is_retried(aliyun, fake):
    # given a platform slower than our timeout
    aliyun.ALIYUN_SMS_TIMEOUT = 0.3
    fake.answer_with(delay=1.5)
    started = time.monotonic()
    with pytest.raises(DeliveryError) as raised:
        AliyunSmsBackend().send("+8613812345678", "x", idempotency_key="k")
    assert type(raised.value) is DeliveryError and "timed out" in str(raised.value)
    assert time.monotonic() - started < 1.2 and len(fake.accepted) == 1


def test_http_500_is_retried(aliyun, fake):
    fake.answer_with(status=500, code="InternalError")
    with pytest.raises(DeliveryError) as raised:
        AliyunSmsBackend().send("+8613812345678", "x", idempotency_key="k")
    assert type(raised.value) is DeliveryError and "HTTP 500 InternalError" in str(raised.value)


def test_connection_refused_is_retried(aliyun, fake):
    fake.server.shutdown()
    fake.server.server_close()  # the port is closed now
    with pytest.raises(DeliveryError) as raised:
        AliyunSmsBackend().send("+8613812345678", "x", idempotency_key="k")
    assert type(raised.value) is DeliveryError and "unreachable" in str(raised.value)


def test_missing_settings_fail_at_send_time_and_warn_in_the_checks(settings, fake):
    settings.SMS_DELIVERY_BACKEND = BACKEND
    settings.ALIYUN_SMS_ACCESS_KEY_ID = KEY_ID
    settings.ALIYUN_SMS_ACCESS_KEY_SECRET = ""
    settings.ALIYUN_SMS_SIGN_NAME = "某某家电服务"
    settings.ALIYUN_SMS_TEMPLATE_CODE = ""
    settings.ALIYUN_SMS_ENDPOINT = fake.url
    with pytest.raises(PermanentDeliveryError, match="ALIYUN_SMS_ACCESS_KEY_SECRET, ALIYUN_SMS_TEMPLATE_CODE"):
        AliyunSmsBackend().send("+8613812345678", "x")
    assert fake.requests == []
    warnings = [m for m in checks.run_checks() if m.id == "followups.W001"]
    assert len(warnings) == 1 and "ALIYUN_SMS_ACCESS_KEY_SECRET, ALIYUN_SMS_TEMPLATE_CODE" in warnings[0].msg
    # the console backend (the `make run` default) needs nothing
    settings.SMS_DELIVERY_BACKEND = ""
    assert not [m for m in checks.run_checks() if m.id.startswith("followups.")]
