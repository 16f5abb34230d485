"""Need-to-know display of personal data and its access log (issue 19 items 9 and 10, PIPL).

Where a person works one customer's case — the customer's page, a ticket's page, a callback they make, a
call record — they see the full mobile number and address: they need them to do the job, and the view is
logged. Where many customers pass by — lists, search results, reports, exports — numbers and addresses are
masked (138****5678, 北京市朝阳区****) unless the person may see personal data in bulk (managers:
``customers.view_personal_data``); one click reveals a masked value, and that click is logged. A
technician sees the customer's full number and address only on their own open job, and loses them when it
closes (``job_shows_full``).

Every function that writes the log is here; views, exports and tasks call them, nothing else writes
PersonalDataAccess.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import PersonalDataAccess

A = PersonalDataAccess.Action

# Places a person works one customer's case: full values for whoever may open them (the view is logged).
RECORD_PLACES = {"customer_page", "ticket_page", "work_order", "callback", "call"}
# Places many customers pass by: masked unless the person may see personal data in bulk.
BULK_PLACES = {"search", "call_list", "desk", "offer", "export", "report"}
PLACE_LABELS = {
    "customer_page": _("customer page"), "ticket_page": _("ticket page"), "work_order": _("work order"),
    "callback": _("callback"), "call": _("call record"), "search": _("customer search"),
    "call_list": _("call list"), "desk": _("front desk"), "offer": _("job offer"),
    "export": _("customer export"), "report": _("report"),
}
BULK_PERMISSION = "customers.view_personal_data"
# A person re-opening the same page within this many seconds is one view in the log.
VIEW_WINDOW = 600


def sees_full(user, place: str) -> bool:
    """Does ``user`` see full numbers and addresses in ``place``? (The table the tests run through.)"""
    if place in RECORD_PLACES:
        return True
    return user.has_perm(BULK_PERMISSION)


def job_shows_full(user, work_order) -> bool:
    """A work order's customer details: full for staff who see every work order (dispatch), and for the
    technician on their own job while it is open (accepted to signed off); masked on an offer not yet
    accepted and once the job is closed or cancelled."""
    from dispatch.models import WorkOrder

    if work_order.technician_id is not None and work_order.technician_id == _technician_id(user):
        S = WorkOrder.Status
        return work_order.status in (S.ACCEPTED, S.ARRIVED, S.IN_PROGRESS, S.DONE)
    return user.has_perm("dispatch.view_workorder")


def _technician_id(user):
    """The person's technician profile id, read once per request (kept on the user object)."""
    if not hasattr(user, "_pii_technician_id"):
        from dispatch.models import Technician

        user._pii_technician_id = Technician.objects.filter(user_id=user.pk).values_list("pk", flat=True).first()
    return user._pii_technician_id


def mask_phone(e164: str) -> str:
    """138 1234 5678 → 138 **** 5678: the first three and last four digits, as Chinese services show them."""
    from .phones import phone_display

    shown = phone_display(e164)
    total = sum(ch.isdigit() for ch in shown)
    if total <= 7:
        return "*" * len(shown)
    out, seen = [], 0
    for ch in shown:
        if ch.isdigit():
            seen += 1
            if 3 < seen <= total - 4:
                ch = "*"
        out.append(ch)
    return "".join(out)


_DISTRICT = re.compile(r"^.{1,12}?(?:区|县|旗)")
_CITY = re.compile(r"^.{1,10}?市")


def mask_address(address: str) -> str:
    """北京市朝阳区建国路88号3单元502 → 北京市朝阳区****; "12 Garden Road, Chaoyang" → "12 G****": the
    area a visit goes to, not the door."""
    text = (address or "").strip()
    if not text:
        return ""
    m = _DISTRICT.match(text) or _CITY.match(text)
    keep = m.group(0) if m else text[:4]
    return keep + "****"


def mask_email(email: str) -> str:
    """wang.fang@example.com → w****@example.com."""
    if not email or "@" not in email:
        return email or ""
    local, domain = email.split("@", 1)
    return f"{local[:1]}****@{domain}"


def _now(now=None):
    return now or timezone.now()


# Views written recently by this process: (user, customer, place, ref) → when. Per process, so several
# web processes may each write one row for the same minute — more rows, never fewer.
_RECENT: dict[tuple, float] = {}
_RECENT_MAX = 20_000


def record_view(*, user, customer_id: int, place: str, ref: str = "", now=None) -> bool:
    """Log that ``user`` saw ``customer_id``'s record in ``place``. The same person re-opening the same
    page within VIEW_WINDOW seconds is one entry (a busy agent refreshes a ticket dozens of times). Returns
    whether a row was written."""
    if not getattr(user, "is_authenticated", False) or not customer_id:
        return False
    at = _now(now)
    key = (user.pk, customer_id, place, ref)
    seen = _RECENT.get(key)
    stamp = at.timestamp()
    if seen is not None and 0 <= stamp - seen < VIEW_WINDOW:
        return False
    if len(_RECENT) >= _RECENT_MAX:
        _RECENT.clear()
    PersonalDataAccess.objects.create(at=at, user=user, customer_id=customer_id, action=A.VIEW, place=place,
                                      ref=ref[:40])
    _RECENT[key] = stamp
    return True


def record_reveal(*, user, customer_id: int, what: str, place: str, ref: str = "", now=None) -> PersonalDataAccess:
    """One click that showed a masked phone number or address in full. Always logged."""
    action = A.REVEAL_ADDRESS if what == "address" else A.REVEAL_PHONE
    return PersonalDataAccess.objects.create(at=_now(now), user=user, customer_id=customer_id, action=action,
                                             place=place, ref=ref[:40])


def record_export(*, user, customer_ids: Iterable[int], place: str = "export", ref: str = "", now=None) -> int:
    """One row per customer in an export (bulk inserts of 2,000): "who looked at this customer" finds
    exports too. Returns the rows written."""
    at = _now(now)
    batch, written = [], 0
    for cid in customer_ids:
        batch.append(PersonalDataAccess(at=at, user=user, customer_id=cid, action=A.EXPORT, place=place,
                                        ref=ref[:40]))
        if len(batch) >= 2000:
            PersonalDataAccess.objects.bulk_create(batch)
            written += len(batch)
            batch = []
    if batch:
        PersonalDataAccess.objects.bulk_create(batch)
        written += len(batch)
    return written
