"""Alibaba Cloud SMS (阿里云短信服务, Dysmsapi ``SendSms``, API version 2017-05-25) as an SMS backend.

Switch it on with ``SMS_DELIVERY_BACKEND=followups.sms_aliyun.AliyunSmsBackend`` and the environment
variables read in servicedesk/settings.py (README, "SMS through Alibaba Cloud"):

* ``ALIYUN_SMS_ACCESS_KEY_ID`` / ``ALIYUN_SMS_ACCESS_KEY_SECRET`` — a RAM user's AccessKey allowed
  ``dysms:SendSms`` (policy AliyunDysmsFullAccess or narrower);
* ``ALIYUN_SMS_SIGN_NAME`` — the approved signature (签名), shown as 【…】 before the text;
* ``ALIYUN_SMS_TEMPLATE_CODE`` — an approved template (``SMS_…``) whose whole content is the one
  variable ``${content}``. Mainland providers only send pre-approved templates; our messages are
  rendered by the app (replies, complaint results, survey links), so the department registers one
  notification template carrying our text, and asks Alibaba Cloud to lift the default 35-character
  variable limit and to allow links in it (otherwise every send is refused with
  ``isv.PARAM_LENGTH_LIMIT`` / ``isv.PARAM_NOT_SUPPORT_URL``: both permanent below);
* ``ALIYUN_SMS_ENDPOINT`` (default ``https://dysmsapi.aliyuncs.com/``; the tests point it at a fake)
  and ``ALIYUN_SMS_TIMEOUT`` (seconds, default 5; the vendor advises at least 1 s).

The request is the RPC style: every parameter in the query string of a GET, signed with HMAC-SHA1
(SignatureVersion 1.0). ``OutId`` carries the outbox row's idempotency key. SendSms itself does NOT
de-duplicate (the vendor says so): ``OutId`` only comes back in delivery receipts, so a retry after a
timeout that the platform had in fact accepted can reach the customer twice. That is the outbox's
documented "at most one duplicate after a crash or timeout"; the receipt's OutId lets a person match it.
Only the standard library is used (no SDK).
"""
import base64
import hashlib
import hmac
import http.client
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timezone

from django.conf import settings

from .delivery import DeliveryError, PermanentDeliveryError, SmsGatewayBackend

logger = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
API_VERSION = "2017-05-25"
TEMPLATE_VARIABLE = "content"
REQUIRED_SETTINGS = ("ALIYUN_SMS_ACCESS_KEY_ID", "ALIYUN_SMS_ACCESS_KEY_SECRET", "ALIYUN_SMS_SIGN_NAME",
                     "ALIYUN_SMS_TEMPLATE_CODE")

RETRY, NEVER = "retry", "never"

# What each answer ``Code`` means for the outbox: RETRY raises DeliveryError (back-off, up to
# OUTBOX_MAX_ATTEMPTS), NEVER raises PermanentDeliveryError (failed at once, shown to a manager).
# The rule: NEVER when the same request will be refused again whatever the time; RETRY when waiting
# can change the answer. A code not listed is retried: the worst case is OUTBOX_MAX_ATTEMPTS sends
# of a request that then fails anyway, with its code in last_error.
# Sources: help.aliyun.com "API错误码" (document 101346) and the RPC common error codes.
CODES: dict[str, str] = {
    # Flow control: per number (1/min, 5/h, 10/day for codes; 50/day per template for notices), the
    # daily/monthly caps the department set in the console, the API gateway's request throttling.
    # They lift with time; the back-off (1, 2, 4 … 60 min) is what the vendor asks for.
    "isv.BUSINESS_LIMIT_CONTROL": RETRY,
    "isv.DAY_LIMIT_CONTROL": RETRY,
    "isv.MONTH_LIMIT_CONTROL": RETRY,
    "Throttling": RETRY,
    "Throttling.User": RETRY,
    "Throttling.Api": RETRY,
    # The platform's own trouble ("please retry" in the vendor's table).
    "isp.SYSTEM_ERROR": RETRY,
    "isp.GATEWAY_ERROR": RETRY,
    "InternalError": RETRY,
    "ServiceUnavailable": RETRY,
    # Out of money (业务停机 / 余额不足). Retried on purpose: the message itself is fine and is not billed
    # while refused; a top-up within the retry window (about 4 h) lets every queued message go without
    # a manager pressing Retry on each; after that the messages show as undeliverable with this code.
    "isv.OUT_OF_SERVICE": RETRY,
    "isv.AMOUNT_NOT_ENOUGH": RETRY,
    # Freshness of this request: the next attempt is signed again with a new nonce and time.
    "SignatureNonceUsed": RETRY,
    "InvalidTimeStamp.Expired": RETRY,
    # The recipient: malformed or unsupported number, a mainland number on an international template,
    # a customer who unsubscribed (isv.CUSTOMER_REFUSED). Retrying the same number cannot help.
    "isv.MOBILE_NUMBER_ILLEGAL": NEVER,
    "isv.MOBILE_COUNT_OVER_LIMIT": NEVER,
    "isv.DOMESTIC_NUMBER_NOT_SUPPORTED": NEVER,
    "isv.CUSTOMER_REFUSED": NEVER,
    # The content: forbidden words, blacklisted keywords in the variable, a variable too long or
    # holding a link the template does not allow. Same text, same refusal.
    "isv.SMS_CONTENT_ILLEGAL": NEVER,
    "isv.BLACK_KEY_CONTROL_LIMIT": NEVER,
    "isv.PARAM_LENGTH_LIMIT": NEVER,
    "isv.PARAM_NOT_SUPPORT_URL": NEVER,
    "isv.INVALID_JSON_PARAM": NEVER,
    "isv.INVALID_PARAMETERS": NEVER,
    "MissingParameter": NEVER,
    # Template and signature not approved, disabled or mismatched (a verification-code signature on a
    # notice template): fixed in the console by a person, not by waiting.
    "isv.SMS_TEMPLATE_ILLEGAL": NEVER,
    "isv.TEMPLATE_MISSING_PARAMETERS": NEVER,
    "isv.SMS_SIGNATURE_ILLEGAL": NEVER,
    "isv.SMS_SIGN_ILLEGAL": NEVER,
    "isv.SIGN_STATE_ILLEGAL": NEVER,
    "isv.SMS_SIGNATURE_SCENE_ILLEGAL": NEVER,
    # Credentials and account: a wrong secret or AccessKey, a RAM user without dysms permission, an
    # account that has not opened SMS or is frozen. Our configuration, failing every message the same
    # way: failing at once puts the reason in front of a manager within a minute instead of 4 hours.
    "SignatureDoesNotMatch": NEVER,
    "IncompleteSignature": NEVER,
    "InvalidAccessKeyId.NotFound": NEVER,
    "InvalidAccessKeyId.Inactive": NEVER,
    "isp.RAM_PERMISSION_DENY": NEVER,
    "isv.PRODUCT_UN_SUBSCRIPT": NEVER,
    "isv.PRODUCT_UNSUBSCRIBE": NEVER,
    "isv.ACCOUNT_NOT_EXISTS": NEVER,
    "isv.ACCOUNT_ABNORMAL": NEVER,
    "isv.DENY_IP_RANGE": NEVER,
}


def percent_encode(value: str) -> str:
    """RFC 3986 as the signature wants it: only A-Z a-z 0-9 - _ . ~ stay; space is %20, UTF-8 bytes."""
    return urllib.parse.quote(value, safe="~")


def canonical_query(params: dict[str, str]) -> str:
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))


def sign(params: dict[str, str], secret: str, *, method: str = "GET") -> str:
    """Signature for ``params`` (everything but Signature itself): SignatureMethod HMAC-SHA1, version 1.0."""
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def phone_number(to: str) -> str:
    """The form SendSms wants: a mainland number bare (13812345678), any other with its country code
    and no plus (85212345678), per the SendSms reference; our outbox stores E.164."""
    number = "".join(to.split())
    if number.startswith("+86"):
        return number[3:]
    return number.removeprefix("+")


def classify(code: str) -> str:
    return CODES.get(code, RETRY)


class AliyunSmsBackend(SmsGatewayBackend):
    """Sends through Alibaba Cloud SMS; see the module docstring for settings and error handling."""

    @classmethod
    def configuration_problems(cls) -> list[str]:
        missing = [name for name in REQUIRED_SETTINGS if not getattr(settings, name, "")]
        if not missing:
            return []
        return [f"missing {', '.join(missing)} (environment variables; see README, SMS through Alibaba Cloud)"]

    def send(self, to: str, text: str, *, subject: str = "", idempotency_key: str = "") -> None:
        problems = self.configuration_problems()
        if problems:
            raise PermanentDeliveryError(f"Aliyun SMS not configured: {problems[0]}")
        params = self.request_params(to, text, idempotency_key=idempotency_key)
        params["Signature"] = sign(params, settings.ALIYUN_SMS_ACCESS_KEY_SECRET)
        endpoint = getattr(settings, "ALIYUN_SMS_ENDPOINT", "") or DEFAULT_ENDPOINT
        url = f"{endpoint}?{urllib.parse.urlencode(params, quote_via=urllib.parse.quote, safe='~')}"
        timeout = float(getattr(settings, "ALIYUN_SMS_TIMEOUT", 5))
        status, body = self._get(url, timeout=timeout)
        self._check(status, body)

    def request_params(self, to: str, text: str, *, idempotency_key: str = "",
                       now: datetime | None = None, nonce: str | None = None) -> dict[str, str]:
        now = now or datetime.now(timezone.utc)
        params = {
            "AccessKeyId": settings.ALIYUN_SMS_ACCESS_KEY_ID,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": phone_number(to),
            "RegionId": "cn-hangzhou",
            "SignName": settings.ALIYUN_SMS_SIGN_NAME,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce or uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": settings.ALIYUN_SMS_TEMPLATE_CODE,
            "TemplateParam": json.dumps({TEMPLATE_VARIABLE: text}, ensure_ascii=False),
            "Timestamp": now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": API_VERSION,
        }
        if idempotency_key:
            params["OutId"] = idempotency_key
        return params

    @staticmethod
    def _get(url: str, *, timeout: float) -> tuple[int, bytes]:
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 — https endpoint from settings
                return response.status, response.read()
        except urllib.error.HTTPError as exc:  # 4xx/5xx still carry the JSON answer with its Code
            with exc:
                return exc.code, exc.read()
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            # refused, reset, DNS, TLS, timeout: nothing (or not all) reached the platform; try later
            reason = getattr(exc, "reason", exc)
            raise DeliveryError(f"Aliyun SMS unreachable: {type(reason).__name__}: {reason}") from exc

    @staticmethod
    def _check(status: int, body: bytes) -> None:
        try:
            answer = json.loads(body or b"{}")
        except ValueError:
            answer = {}
        code = str(answer.get("Code", "")) if isinstance(answer, dict) else ""
        message = str(answer.get("Message", "")) if isinstance(answer, dict) else ""
        if status == 200 and code == "OK":
            logger.info("Aliyun SMS accepted: BizId=%s RequestId=%s", answer.get("BizId"), answer.get("RequestId"))
            return
        detail = f"Aliyun SMS HTTP {status} {code or 'no code'}: {message or body[:200].decode(errors='replace')}"
        if status >= 500 or not code:
            raise DeliveryError(detail)  # the platform failed, or a proxy answered: try again later
        if classify(code) == NEVER:
            raise PermanentDeliveryError(detail)
        raise DeliveryError(detail)
