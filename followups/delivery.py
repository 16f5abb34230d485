"""How survey links reach customers: a pluggable backend chosen by settings.SURVEY_DELIVERY_BACKEND.

A backend is a class with a ``channel`` ("sms", "email" or "log") and a method
``send(to: str, text: str, *, subject: str = "") -> None`` that delivers ``text`` to ``to`` (a phone
number in E.164 for SMS, an email address for email) or raises :class:`DeliveryError`. Raising makes
the Celery task retry with exponential backoff; returning means delivered.

Shipped: ``ConsoleBackend`` (default, logs the message: development and demos), ``EmailBackend``
(Django's mail settings), and ``SmsGatewayBackend``, the base class a real SMS gateway subclasses.
"""
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

DEFAULT_BACKEND = "followups.delivery.ConsoleBackend"


class DeliveryError(Exception):
    """The message could not be delivered now; the task will try again later."""


class DeliveryBackend:
    channel = "log"

    def send(self, to: str, text: str, *, subject: str = "") -> None:  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleBackend(DeliveryBackend):
    """Writes the message to the log (the default: nothing leaves the machine)."""

    channel = "sms"

    def send(self, to: str, text: str, *, subject: str = "") -> None:
        logger.info("Survey link for %s: %s", to, text)


class EmailBackend(DeliveryBackend):
    """Sends through Django's email settings (EMAIL_BACKEND, EMAIL_HOST, ...)."""

    channel = "email"

    def send(self, to: str, text: str, *, subject: str = "") -> None:
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
      exponential backoff, up to 5 times); raise anything else for a permanent failure.
    """

    channel = "sms"

    def send(self, to: str, text: str, *, subject: str = "") -> None:
        raise NotImplementedError("Subclass SmsGatewayBackend and implement send(to, text) for your gateway")


def get_backend() -> DeliveryBackend:
    path = getattr(settings, "SURVEY_DELIVERY_BACKEND", DEFAULT_BACKEND) or DEFAULT_BACKEND
    return import_string(path)()
