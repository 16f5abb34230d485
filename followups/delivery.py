"""How messages reach customers by SMS (survey links, replies, complaint results): a pluggable backend.

A backend is a class with a ``channel`` ("sms", "email" or "log") and a method
``send(to: str, text: str, *, subject: str = "", idempotency_key: str = "") -> None`` that delivers
``text`` to ``to`` (a phone number in E.164 for SMS, an email address for email) or raises
:class:`DeliveryError`. It is called by the outbox (servicedesk/outbox.py) only: raising makes the
outbox try again later with a back-off; raising :class:`PermanentDeliveryError` (the gateway said this
message will never go: a bad number, a rejected template) marks it undeliverable at once; returning
means delivered. ``idempotency_key`` is the same on
every attempt of one message: pass it to a gateway that de-duplicates (most accept a client message
id), so a send repeated after a crash reaches the customer once.

Which backend: ``SMS_DELIVERY_BACKEND`` for SMS; survey links go through ``SURVEY_DELIVERY_BACKEND``
(its ``channel`` decides whether a survey link is e-mailed or texted; if it is an SMS backend and
``SMS_DELIVERY_BACKEND`` is not set, it is the SMS backend for everything).

Shipped: ``ConsoleBackend`` (default, logs the message: development and demos), ``EmailBackend``
(Django's mail settings), ``SmsGatewayBackend``, the base class a real SMS gateway subclasses, and one
real gateway, ``followups.sms_aliyun.AliyunSmsBackend`` (Alibaba Cloud SMS).
"""
import logging

from django.conf import settings
from django.core import checks
from django.core.mail import send_mail
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

DEFAULT_BACKEND = "followups.delivery.ConsoleBackend"


class DeliveryError(Exception):
    """The message could not be delivered now; the task will try again later."""


class PermanentDeliveryError(DeliveryError):
    """The message can never be delivered as it is; the outbox marks it failed without trying again.

    A subclass of DeliveryError, so a caller that only knows "failed" still treats it as a failure.
    """


class DeliveryBackend:
    channel = "log"

    def send(self, to: str, text: str, *, subject: str = "",
             idempotency_key: str = "") -> None:  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleBackend(DeliveryBackend):
    """Writes the message to the log (the default: nothing leaves the machine)."""

    channel = "sms"

    def send(self, to: str, text: str, *, subject: str = "", idempotency_key: str = "") -> None:
        logger.info("Message for %s: %s", to, text)


class EmailBackend(DeliveryBackend):
    """Sends through Django's email settings (EMAIL_BACKEND, EMAIL_HOST, ...)."""

    channel = "email"

    def send(self, to: str, text: str, *, subject: str = "", idempotency_key: str = "") -> None:
        try:
            send_mail(subject=subject or text[:60], message=text, from_email=settings.DEFAULT_FROM_EMAIL,
                      recipient_list=[to])
        except Exception as exc:  # SMTP down, refused, timeout: retry later
            raise DeliveryError(str(exc)) from exc


class SmsGatewayBackend(DeliveryBackend):
    """Base class for an SMS gateway. Subclass it and implement ``send(to, text)``:

    * ``to`` is the customer's mobile number in E.164 (``+8613812345678``);
    * ``text`` is the whole message (≤ 300 characters: the link and one sentence);
    * return on success; raise :class:`DeliveryError` on a temporary failure (it is retried with
      exponential backoff by the outbox, up to OUTBOX_MAX_ATTEMPTS times, then shown to a manager),
      :class:`PermanentDeliveryError` when retrying cannot help (shown to a manager at once);
    * ``idempotency_key`` is stable across attempts of one message: give it to the gateway;
    * ``configuration_problems()`` (a classmethod) lists what is missing from the settings; the
      system check below shows it as a warning when this backend is the configured one.
    """

    channel = "sms"

    @classmethod
    def configuration_problems(cls) -> list[str]:
        return []

    def send(self, to: str, text: str, *, subject: str = "", idempotency_key: str = "") -> None:
        raise NotImplementedError("Subclass SmsGatewayBackend and implement send(to, text) for your gateway")


def get_backend() -> DeliveryBackend:
    path = getattr(settings, "SURVEY_DELIVERY_BACKEND", DEFAULT_BACKEND) or DEFAULT_BACKEND
    return import_string(path)()


def get_sms_backend() -> DeliveryBackend:
    path = getattr(settings, "SMS_DELIVERY_BACKEND", "")
    if not path:
        survey = get_backend()
        return survey if survey.channel == "sms" else import_string(DEFAULT_BACKEND)()
    return import_string(path)()


@checks.register()
def check_delivery_backends(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """``manage.py check`` (and so ``runserver`` and ``migrate``) warns when a configured gateway lacks
    its settings, rather than the first customer's message failing in the outbox."""
    found = []
    for setting in ("SMS_DELIVERY_BACKEND", "SURVEY_DELIVERY_BACKEND"):
        path = getattr(settings, setting, "")
        if not path:
            continue
        try:
            backend = import_string(path)
        except ImportError as exc:
            found.append(checks.Error(f"{setting}={path!r} cannot be imported: {exc}", id="followups.E001"))
            continue
        problems = getattr(backend, "configuration_problems", None)
        found += [checks.Warning(f"{setting}={path}: {problem}", id="followups.W001")
                  for problem in (problems() if problems else [])]
    return found
