"""The online request form's writes (issue 15 item 3): SMS codes and the request itself.

A customer with no account opens a ticket from the public form. The mobile number is confirmed with
a one-time code texted through the outbox (servicedesk/outbox.py, so ``make run`` prints it on the
console backend) before anything is created. The confirmed mobile decides the customer: a number on
file attaches the ticket to that customer (never a duplicate); an unknown one creates a customer
marked self-registered and unverified, for the front desk to confirm or merge.

Codes are stored as a keyed hash (HMAC-SHA256 with SECRET_KEY, a random per-row salt and the mobile):
a leaked table does not reveal live codes, and checking costs microseconds, not a password hash's
half-second (a six-digit code is protected by its five-guess lock, not by a slow hash).
"""
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _, gettext_lazy

from customers.models import Channel, Customer, CustomerPhone
from customers.phones import NormalisedPhone, normalise_phone, phone_display
from tickets.models import Ticket

from .models import PortalSettings, VerificationCode

CODE_DIGITS = 6
CODE_VALID = timedelta(minutes=10)
CODE_RESEND_AFTER = timedelta(seconds=60)
# SMS codes a mobile may be sent per 24 h, as a multiple of the tickets it may open: a few resends
# per request are normal; more is someone texting a stranger's phone again and again.
CODES_PER_REQUEST = 3
DAY = timedelta(hours=24)
SUBJECT_WORDS = 60  # characters of the description that follow the kind in the subject

# When the customer would like a call (the form offers these; staff read the label in the description).
CONTACT_TIMES = [
    ("", gettext_lazy("Any time")),
    ("morning", gettext_lazy("Mornings (9:00–12:00)")),
    ("afternoon", gettext_lazy("Afternoons (13:00–18:00)")),
    ("evening", gettext_lazy("Evenings (18:00–21:00)")),
    ("weekend", gettext_lazy("Weekends")),
]


# --- mobile numbers ------------------------------------------------------------------------------
def mobile_normalise(raw: str) -> NormalisedPhone:
    """The typed mobile in E.164, or a ValidationError: a code can only be texted to a mobile."""
    number = normalise_phone(raw)
    if not number.is_mobile:
        raise ValidationError(_("“%(value)s” is not a mobile number. Enter the mobile we can text the code to."),
                              code="not_mobile", params={"value": (raw or "").strip()})
    return number


def mobile_masked(e164: str) -> str:
    """138****5678: enough for the customer to recognise the number, not enough to read it off a screen."""
    digits = "".join(ch for ch in phone_display(e164) if ch.isdigit())
    if len(digits) < 8:
        return digits
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


# --- codes ---------------------------------------------------------------------------------------
def _code_hash(*, mobile: str, code: str, salt: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"portal-code:{salt}:{mobile}:{code}".encode(),
                      hashlib.sha256).hexdigest()
    return f"{salt}${digest}"


def _code_matches(row: VerificationCode, code: str) -> bool:
    salt, _sep, _digest = row.code_hash.partition("$")
    return secrets.compare_digest(_code_hash(mobile=row.mobile, code=code, salt=salt).encode(),
                                  row.code_hash.encode())


def requests_today(*, mobile: str, now: datetime) -> int:
    """Online requests this mobile opened in the last 24 h, from the database (a restart forgets nothing).

    A code is marked used in the very transaction that creates the ticket, so used codes are exactly
    the tickets the web form created for this mobile.
    """
    return VerificationCode.objects.filter(mobile=mobile, used_at__gt=now - DAY).count()


def _check_mobile_day_limit(*, mobile: str, now: datetime, cfg: PortalSettings) -> None:
    """domain: PortalSettings.requests_per_mobile_day online requests per mobile in 24 h."""
    if requests_today(mobile=mobile, now=now) >= cfg.requests_per_mobile_day:
        raise ValidationError(
            _("This mobile has sent %(n)s requests online today, the most we accept in a day. "
              "Please call us, or add to a request you already sent through its status link."),
            code="mobile_limit", params={"n": cfg.requests_per_mobile_day})


def verification_code_send(*, mobile: str, ip: str | None = None, now: datetime | None = None,
                           language: str = "zh-hans") -> VerificationCode:
    """Text a new 6-digit code to ``mobile`` (valid 10 minutes; the newest code is the only one that counts).

    Refused with a ValidationError saying what to do: an invalid or non-mobile number; a resend within
    60 s ("wait N seconds", code ``wait``); a mobile at its daily request limit; too many codes to one
    mobile in a day. The SMS is an outbox row written with the code row (style.md §14).
    """
    now = now or timezone.now()
    e164 = mobile_normalise(mobile).e164
    cfg = PortalSettings.current()
    _check_mobile_day_limit(mobile=e164, now=now, cfg=cfg)
    with transaction.atomic():
        recent = list(VerificationCode.objects.select_for_update().filter(mobile=e164, created_at__gt=now - DAY)
                      .order_by("-created_at", "-pk").values_list("created_at", flat=True))
        if recent and now - recent[0] < CODE_RESEND_AFTER:
            wait = max(1, int((recent[0] + CODE_RESEND_AFTER - now).total_seconds() + 0.999))
            raise ValidationError(_("We just sent a code. You can ask for a new one in %(seconds)s seconds."),
                                  code="wait", params={"seconds": wait})
        if len(recent) >= CODES_PER_REQUEST * cfg.requests_per_mobile_day:
            raise ValidationError(_("Too many codes were sent to this mobile today. Please try again tomorrow "
                                    "or call us."), code="mobile_codes_limit")
        code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
        row = VerificationCode.objects.create(
            mobile=e164, code_hash=_code_hash(mobile=e164, code=code, salt=secrets.token_hex(8)),
            created_at=now, expires_at=now + CODE_VALID, ip=ip or None)
        from servicedesk.outbox import outbox_add

        with translation.override(language):
            from .selectors import public_name

            body = _("%(service)s: your code is %(code)s. It is valid for 10 minutes. "
                     "Do not tell anyone this code.") % {"service": public_name(cfg, language), "code": code}
        outbox_add(kind="portal.code", channel="sms", to=e164, body=body, now=now)
    return row


def verification_code_check(*, mobile: str, code: str, now: datetime | None = None) -> VerificationCode:
    """The newest code texted to ``mobile`` if ``code`` is it and it can still be used; else ValidationError.

    Codes ``no_code``, ``expired``, ``used``, ``locked`` (5 wrong guesses: ask for a new code) and
    ``wrong``. A wrong guess is counted and committed even though the caller gets an error, so the
    lock cannot be dodged. Does not mark the code used: ``online_request_create`` does that with a
    compare-and-set in the transaction that creates the ticket, so a code opens at most one ticket.
    """
    now = now or timezone.now()
    e164 = mobile_normalise(mobile).e164
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    error = None
    with transaction.atomic():
        row = (VerificationCode.objects.select_for_update().filter(mobile=e164)
               .order_by("-created_at", "-pk").first())
        if row is None:
            error = ValidationError(_("Press “Send code” first: we text a code to your mobile."), code="no_code")
        elif row.used_at is not None:
            error = ValidationError(_("This code was already used. Press “Send code” for a new one."), code="used")
        elif row.attempts >= VerificationCode.MAX_ATTEMPTS:
            error = ValidationError(_("This code was entered wrong too many times and is locked. "
                                      "Press “Send code” for a new one."), code="locked")
        elif now >= row.expires_at:
            error = ValidationError(_("This code has expired (codes are valid for 10 minutes). "
                                      "Press “Send code” for a new one."), code="expired")
        elif len(code) != CODE_DIGITS or not _code_matches(row, code):
            row.attempts += 1
            VerificationCode.objects.filter(pk=row.pk).update(attempts=row.attempts)
            left = VerificationCode.MAX_ATTEMPTS - row.attempts
            if left <= 0:
                error = ValidationError(_("The code is wrong. It is now locked: press “Send code” for a new one."),
                                        code="locked")
            else:
                error = ValidationError(_("The code is wrong. You can try %(left)s more times."),
                                        code="wrong", params={"left": left})
    if error is not None:  # raised after the block: the counted guess is kept
        raise error
    return row


# --- the request ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class OnlineRequest:
    name: str
    mobile: str
    kind: str
    description: str
    product: str = ""
    contact_time: str = ""  # a key of CONTACT_TIMES
    language: str = "zh-hans"


def _customer_for(*, number: NormalisedPhone, request: OnlineRequest, actor, now: datetime) -> tuple[Customer, bool]:
    """The customer the confirmed mobile belongs to (following merges), or a new self-registered one.

    A new customer goes through customers.services.customer_create (phone checks, the CREATED event,
    the UNIQUE phone deciding a race) with the portal's system account as the event's actor; the same
    transaction then corrects what that service sets for a staff creator. First contact (domain.md §2):
    channel "web", at ``now``, but no staff member yet — owner and first_contact_by stay empty until the
    front desk confirms the record (customers.services.customer_verify takes ownership).
    """
    from customers.selectors import customer_survivor
    from customers.services import DuplicatePhone, PhoneInput, customer_create

    phone = CustomerPhone.objects.select_related("customer").filter(number=number.e164).first()
    if phone is not None:
        return customer_survivor(phone.customer), False
    try:
        customer = customer_create(name=request.name, phones=[PhoneInput(number.e164, CustomerPhone.Label.MOBILE)],
                                   created_by=actor, channel=Channel.WEB, preferred_language=request.language,
                                   now=now)
    except DuplicatePhone as exc:  # another request for this number won the race a moment ago
        return customer_survivor(exc.existing), False
    Customer.objects.filter(pk=customer.pk).update(owner=None, first_contact_by=None, self_registered=True,
                                                   is_verified=False)
    customer.owner = customer.first_contact_by = None
    customer.self_registered, customer.is_verified = True, False
    return customer, True


def _staff_text(request: OnlineRequest, number: NormalisedPhone) -> tuple[str, str]:
    """Subject and description as staff read them (the department's language, not the customer's)."""
    # The customer's own first words: the kind is shown beside the subject everywhere (list icon, status
    # page), and a label here would be frozen in whichever language the request happened to be made.
    words = " ".join(request.description.split())
    if len(words) > SUBJECT_WORDS:
        words = words[:SUBJECT_WORDS].rstrip() + "…"
    subject = words[:200]
    lines = [request.description.strip(), "", "—"]
    if request.product.strip():
        lines.append(_("Product / model: %(product)s") % {"product": request.product.strip()})
    if request.contact_time in dict(CONTACT_TIMES) and request.contact_time:
        lines.append(_("Preferred contact time: %(time)s") % {"time": dict(CONTACT_TIMES)[request.contact_time]})
    lines.append(_("Name given online: %(name)s") % {"name": request.name.strip()})
    lines.append(_("Mobile (confirmed by SMS code): %(mobile)s") % {"mobile": phone_display(number.e164)})
    return subject, "\n".join(lines)


def online_request_create(*, request: OnlineRequest, code: str, files=(), now: datetime | None = None
                          ) -> tuple[Ticket, bool]:
    """Open a ticket from the public form once the mobile is confirmed (issue 15 item 3).

    Returns (ticket, customer_created). Order: the per-mobile daily limit, the SMS code (a wrong guess
    is counted even though this raises), then ONE transaction: the code is marked used by
    compare-and-set (a code opens one ticket, even with two submits at once), the customer found or
    created, the ticket opened with channel "web" by the portal's system account (its SLA clocks and
    the acknowledgement with the status link follow from tickets.services.ticket_create's
    ``ticket_opened`` signal), and the files (already checked by portal.forms.checked_files) attached.
    """
    from tickets.services import attachment_add, ticket_create

    from .services import portal_user

    now = now or timezone.now()
    number = mobile_normalise(request.mobile)
    if request.kind not in Ticket.Kind.values:
        raise ValidationError(_("Choose what kind of request this is."), code="kind")
    if not request.name.strip() or not request.description.strip():
        raise ValidationError(_("Write your name and what we can do for you."), code="required")
    cfg = PortalSettings.current()
    _check_mobile_day_limit(mobile=number.e164, now=now, cfg=cfg)
    row = verification_code_check(mobile=number.e164, code=code, now=now)
    actor = portal_user()
    with translation.override(settings.LANGUAGE_CODE):
        subject, description = _staff_text(request, number)
    with transaction.atomic():
        claimed = VerificationCode.objects.filter(pk=row.pk, used_at__isnull=True,
                                                  attempts__lt=VerificationCode.MAX_ATTEMPTS).update(used_at=now)
        if not claimed:
            raise ValidationError(_("This code was already used. Press “Send code” for a new one."), code="used")
        customer, created = _customer_for(number=number, request=request, actor=actor, now=now)
        ticket = ticket_create(customer=customer, kind=request.kind, subject=subject, description=description,
                               created_by=actor, channel=Channel.WEB, now=now)
        for upload, content_type in files:
            attachment_add(ticket=ticket, uploaded_by=actor, file=upload, content_type=content_type, now=now)
    return ticket, created


# --- bench (manage.py bench_portal) -------------------------------------------------------------------
def bench_submissions(*, count: int, time_one) -> dict:
    """``{"request": timings}``: ``count`` online requests posted through the form, each from its own mobile
    and address (as many customers would; the limits per address and per mobile are the real ones).

    The codes are sent beforehand (not timed) and read from their outbox rows like a customer reads the
    SMS; each timed call is the final submit: code check, new self-registered customer, web ticket,
    SLA clocks and acknowledgement, redirect. ``time_one`` is bench_portal's timer.
    """
    import re
    import time

    from django.test import Client
    from django.urls import reverse

    from servicedesk.models import OutboxMessage

    base = 13800000000 + secrets.randbelow(90_000_000)  # a fresh block of numbers on every run
    mobiles = [str(base + i) for i in range(count)]
    codes = []
    for i, mobile in enumerate(mobiles):
        row = verification_code_send(mobile=mobile, ip=f"10.77.{i // 250}.{i % 250 + 1}")
        body = OutboxMessage.objects.filter(kind="portal.code", to=row.mobile).order_by("-pk").values_list(
            "body", flat=True).first()
        codes.append(re.search(r"\d{6}", body).group(0))
    client, url = Client(), reverse("portal:request")

    def submit(i):
        return client.post(url, {"lang": "zh-hans", "do": "submit", "name": f"压测客户 {i}", "mobile": mobiles[i],
                                 "code": codes[i], "kind": "repair", "description": f"压测：空调不制冷 {i}",
                                 "product": "KFR-35GW", "contact_time": "evening", "website": ""},
                           REMOTE_ADDR=f"10.78.{i // 250}.{i % 250 + 1}")

    start = time.perf_counter()
    timings = time_one(submit, count, expect=302)
    timings["per_second"] = round(count / (time.perf_counter() - start), 1)
    return {"request": timings}
