"""Writes for field dispatch (domain.md §5). Views, admin, tasks and commands call these.

Lock order, everywhere: work order → offer → technician → stock level. Each write runs in
transaction.atomic and records a WorkOrderEvent (who, what, when, details).
"""
import logging
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy

from servicedesk import roles
from servicedesk.numbering import next_in_sequence
from servicedesk.preferences import Message, Note
from servicedesk.services import notify, notify_many

from . import signals
from .images import check_photo, signature_from_data_url
from .models import (
    DispatchDecision,
    DispatchSettings,
    Escalation,
    Offer,
    PartUsage,
    Quote,
    StockLevel,
    Technician,
    ValueTier,
    WorkOrder,
    WorkOrderCounter,
    WorkOrderEvent,
    WorkOrderPhoto,
)
from .selectors import technicians_for_dispatch, technicians_on_duty, technicians_with_load

logger = logging.getLogger(__name__)
WS = WorkOrder.Status

# Exclusion reason codes stored in DispatchDecision.explanation (rendered by dispatch.explain).
R_SKILL, R_REGION, R_LEVEL, R_LEAVE = "skill", "region", "level", "on_leave"
R_DAILY, R_WEEKLY, R_OPEN = "daily_cap", "weekly_cap", "open_cap"
R_DECLINED, R_EXPIRED, R_RACE = "declined_before", "expired_before", "cap_reached_meanwhile"


def _event(wo: WorkOrder, actor, kind: str, now: datetime, **data) -> WorkOrderEvent:
    return WorkOrderEvent.objects.create(work_order=wo, actor=actor, kind=kind, data=data, created_at=now)


def _staff_in(role: str):
    return get_user_model().objects.filter(groups__name=role, is_active=True).order_by("pk")


def _notify_role(role: str, message: Message, url: str, *, kind: str, group: str) -> None:
    """Notify everyone in a role, each in their own language (notify_many renders per recipient)."""
    notify_many([Note(recipient=user, message=message, url=url, kind=kind, group=group) for user in _staff_in(role)],
                email=True)


def _next_number(year: int) -> str:
    """WO-2026-000001, gap-free per year."""
    return f"WO-{year}-{next_in_sequence(WorkOrderCounter, year=year):06d}"


def resolution_deadline(ticket, *, settings: DispatchSettings) -> datetime:
    """The ticket's resolution deadline from the SLA area when it offers one, else created + N hours."""
    try:
        from sla.selectors import ticket_deadlines  # the SLA area's seam, when installed
    except ImportError:
        ticket_deadlines = None
    if ticket_deadlines is not None:
        try:
            deadlines = ticket_deadlines(ticket)
            value = None
            if isinstance(deadlines, dict):
                value = deadlines.get("resolution") or deadlines.get("resolution_due_at")
            else:
                value = getattr(deadlines, "resolution", None) or getattr(deadlines, "resolution_due_at", None)
            if isinstance(value, datetime):
                return value
            if value is not None and isinstance(getattr(value, "due_at", None), datetime):
                return value.due_at
        except Exception:  # an SLA problem must never stop a dispatch
            logger.warning("sla.selectors.ticket_deadlines failed for ticket %s", ticket.pk, exc_info=True)
    return ticket.created_at + timedelta(hours=settings.default_resolution_hours)


# --- creation ---------------------------------------------------------------------------------

def workorder_create(
    *,
    ticket,
    created_by,
    skill,
    estimated_value: Decimal,
    window_start: datetime,
    window_end: datetime,
    instructions: str = "",
    asset=None,
    address: str = "",
    region=None,
    now: datetime | None = None,
    settings: DispatchSettings | None = None,
) -> WorkOrder:
    """A repair or installation ticket gets a 技术服务通知单: address and region from the customer/asset, warranty
    status from the asset on the day it is created, value tier from the manager's thresholds — except
    that a key account's job ranks as the highest tier (issue 17, green channel: served by the levels
    the manager chose for large jobs; the load caps hold as for any job)."""
    from tickets.models import Ticket
    from tickets.services import event_record

    now = now or timezone.now()
    if not ticket.is_on_site:
        raise ValidationError(_("Only repair and installation tickets get work orders."), code="not_repair")
    if not ticket.is_open:
        raise ValidationError(_("The ticket is no longer open."), code="ticket_closed")
    asset = asset or ticket.asset
    if asset is not None and asset.customer_id != ticket.customer_id:
        raise ValidationError(_("That asset belongs to another customer."), code="asset_customer")
    customer = ticket.customer
    region = region or customer.region
    if region is None:
        raise ValidationError(_("Set the customer's region first: dispatch needs it."), code="region_required")
    address = (address or (asset.location if asset else "") or customer.address).strip()
    if not address:
        raise ValidationError(_("Enter the address of the visit."), code="address_required")
    if window_end < window_start:
        raise ValidationError(_("The visit window ends before it starts."), code="window_order")
    settings = settings or DispatchSettings.load()  # a batch caller (the maintenance sweep) loads it once
    with transaction.atomic():
        wo = WorkOrder(
            number=_next_number(timezone.localtime(now).year),
            ticket=ticket,
            customer=customer,
            asset=asset,
            address=address,
            region=region,
            window_start=window_start,
            window_end=window_end,
            skill=skill,
            estimated_value=estimated_value,
            value_tier=ValueTier.LARGE if customer.is_key_account else settings.tier_for(Decimal(estimated_value)),
            in_warranty=bool(asset and asset.in_warranty(timezone.localtime(now).date())),
            instructions=instructions.strip(),
            resolution_due_at=resolution_deadline(ticket, settings=settings),
            created_by=created_by,
            created_at=now,
        )
        # The related rows are the caller's objects and the number is unique by construction (the
        # locked counter; the unique index stays the guarantee); the check constraints are what the
        # checks above and the field validators hold (each would be a query): values only, as
        # tickets.services.ticket_create does. The maintenance sweep opens thousands of these.
        wo.full_clean(exclude=["ticket", "customer", "asset", "region", "skill", "technician", "created_by"],
                      validate_unique=False, validate_constraints=False)
        # A new work order has no escalation yet: its next check is the earliest of its schedule, stored
        # with the row (what _refresh_next_check would compute in two more statements).
        wo.next_check_at = _next_check_at(wo, fired=frozenset())
        wo.save()
        _event(wo, created_by, "created", now, number=wo.number, value=str(wo.estimated_value), tier=wo.value_tier,
               key_account=bool(customer.is_key_account))
        event_record(ticket=ticket, actor=created_by, kind="workorder_created", now=now,
                     after={"work_order": wo.number})
    return wo


# --- eligibility and fairness -----------------------------------------------------------------

def _exclusions(t, *, levels: list[str], caps: dict, ignore_history: bool) -> list[str]:
    reasons = []
    if not t.has_skill:
        reasons.append(R_SKILL)
    if not t.covers_region:
        reasons.append(R_REGION)
    if t.level not in levels:
        reasons.append(R_LEVEL)
    if reasons:  # not a contender: their load was not read (it does not matter for this job)
        return reasons
    if t.on_leave:
        reasons.append(R_LEAVE)
    if t.jobs_today >= caps["daily"]:
        reasons.append(R_DAILY)
    if t.jobs_week >= caps["weekly"]:
        reasons.append(R_WEEKLY)
    if t.open_jobs >= caps["open"]:
        reasons.append(R_OPEN)
    if not ignore_history:
        if t.declined_before:
            reasons.append(R_DECLINED)
        if t.expired_before:
            reasons.append(R_EXPIRED)
    return reasons


def _fairness_key(t):
    # Least loaded first; then the longest wait since their last job (never had one = longest); then id.
    last = t.last_assigned_at.timestamp() if t.last_assigned_at else float("-inf")
    return (t.open_jobs, last, t.pk)


def _snapshot(t) -> dict:
    if getattr(t, "contender", True) is False:
        return {"id": t.pk, "name": t.name}
    return {
        "id": t.pk,
        "name": t.name,
        "open": t.open_jobs,
        "today": t.jobs_today,
        "week": t.jobs_week,
        "last": t.last_assigned_at.isoformat() if t.last_assigned_at else None,
    }


def _caps(settings: DispatchSettings, now: datetime) -> dict:
    return {
        "daily": settings.daily_cap,
        "weekly": settings.weekly_cap,
        "open": settings.open_cap(timezone.localtime(now).date()),
        "peak": settings.is_peak(timezone.localtime(now).date()),
    }


def dispatch_rank(*, work_order: WorkOrder, now: datetime, settings: DispatchSettings | None = None,
                  ignore_history: bool = False) -> dict:
    """The decision without writing: eligible technicians in fairness order and every exclusion.

    domain.md §5: right skill and region, level allowed for the value tier, not on leave on the
    visit day, under every cap (today, this ISO week, open jobs vs the season's cap), not already
    declined/let expire this job; least loaded first, then longest since last job. Four queries
    (settings, peak seasons, technicians, contenders' load) whatever the number of technicians.
    """
    settings = settings or DispatchSettings.load()
    levels = settings.levels_for(work_order.value_tier)
    caps = _caps(settings, now)
    eligible, excluded = [], []
    for t in technicians_for_dispatch(work_order=work_order, levels=levels, now=now):
        reasons = _exclusions(t, levels=levels, caps=caps, ignore_history=ignore_history)
        if reasons:
            excluded.append({**_snapshot(t), "reasons": reasons})
        else:
            eligible.append(t)
    eligible.sort(key=_fairness_key)
    return {"eligible": eligible, "excluded": excluded, "caps": caps, "levels": levels}


class CapReached(Exception):
    def __init__(self, reasons):
        self.reasons = reasons


def _offer_locked(*, wo: WorkOrder, technician: Technician, actor, now: datetime, settings: DispatchSettings,
                  forced: bool = False, reason: str = "") -> tuple[Offer, list[str]]:
    """Lock the technician row, recount under the lock, then give the job. The caller holds the WO lock.

    The recount inside the lock is what keeps the caps true when two dispatchers (or the
    auto-dispatcher) give jobs to the same technician at the same moment (domain.md §5).
    """
    technician = Technician.objects.select_for_update(of=("self",)).select_related("user").get(pk=technician.pk)
    fresh = technicians_with_load(now=now, qs=Technician.objects.filter(pk=technician.pk)).get()
    caps = _caps(settings, now)
    over = [code for code, n, cap in ((R_DAILY, fresh.jobs_today, caps["daily"]),
                                      (R_WEEKLY, fresh.jobs_week, caps["weekly"]),
                                      (R_OPEN, fresh.open_jobs, caps["open"])) if n >= cap]
    if over and not forced:
        raise CapReached(over)
    offer = Offer.objects.create(
        work_order=wo,
        technician=technician,
        offered_at=now,
        expires_at=now + timedelta(minutes=settings.offer_timeout_minutes),
        answer=Offer.Answer.ACCEPTED if forced else Offer.Answer.PENDING,
        answered_at=now if forced else None,
        forced=forced,
        offered_by=actor,
    )
    wo.technician = technician
    wo.status = WS.ACCEPTED if forced else WS.OFFERED
    fields = ["technician", "status", "updated_at"]
    if forced:
        wo.forced, wo.forced_reason, wo.accepted_at = True, reason, now
        fields += ["forced", "forced_reason", "accepted_at"]
    wo.save(update_fields=fields)
    Technician.objects.filter(pk=technician.pk).update(last_assigned_at=now)
    offer.technician = technician
    return offer, over


def _lock_wo(work_order) -> WorkOrder:
    return WorkOrder.objects.select_for_update().get(pk=work_order.pk)


def workorder_auto_dispatch(*, work_order: WorkOrder, actor=None, now: datetime | None = None,
                            ignore_history: bool = False, settings: DispatchSettings | None = None) -> DispatchDecision:
    """Offer the job to the best eligible technician and store why (公开公平公正); nobody → the board.

    ignore_history=True is the supervisor's "re-offer": technicians who declined or let the offer
    expire become eligible again. `settings`: a batch caller's copy (loaded once per batch); the caps
    are still recounted under the technician's lock for each offer.
    """
    now = now or timezone.now()
    with transaction.atomic():
        wo = _lock_wo(work_order)
        if wo.status != WS.UNASSIGNED:
            raise ValidationError(_("Work order %(number)s is not waiting for a technician."),
                                  code="not_unassigned", params={"number": wo.number})
        settings = settings or DispatchSettings.load()
        ranking = dispatch_rank(work_order=wo, now=now, settings=settings, ignore_history=ignore_history)
        excluded, chosen, offer, chosen_tech = ranking["excluded"], None, None, None
        for candidate in ranking["eligible"]:
            try:
                offer, _over = _offer_locked(wo=wo, technician=candidate, actor=actor, now=now, settings=settings)
            except CapReached as exc:
                excluded.append({**_snapshot(candidate), "reasons": [R_RACE, *exc.reasons]})
                continue
            chosen = candidate
            chosen_tech = offer.technician
            break
        ranked = [_snapshot(t) for t in ranking["eligible"][:5]]
        explanation = {
            "tier": wo.value_tier,
            "levels": ranking["levels"],
            "caps": ranking["caps"],
            "chosen": _snapshot(chosen) if chosen else None,
            "ranked": ranked,
            "excluded": excluded,
            "re_offer": ignore_history,
        }
        decision = DispatchDecision.objects.create(
            work_order=wo, chosen=chosen_tech, actor=actor, explanation=explanation, made_at=now
        )
        if chosen:
            _event(wo, actor, "offered", now, technician=chosen.name, expires_at=offer.expires_at.isoformat())
            url = reverse("dispatch:my_jobs")
            name = wo.number
            notify(recipient=chosen_tech.user, url=url, email=True, kind="job_offer", group=f"ticket:{wo.ticket_id}",
                   message=gettext_lazy("New job offered: %(number)s. Accept or decline within %(minutes)s minutes."),
                   params={"number": name, "minutes": settings.offer_timeout_minutes})
        else:
            _event(wo, actor, "no_technician", now, excluded=len(excluded))
            _escalate(wo, Escalation.Reason.NO_TECHNICIAN, Escalation.Level.SUPERVISOR, due_at=now, now=now)
        _refresh_next_check(wo)
    work_order.status, work_order.technician = wo.status, wo.technician
    return decision


def workorder_force_dispatch(*, work_order: WorkOrder, technician: Technician, actor, reason: str,
                             now: datetime | None = None) -> DispatchDecision:
    """A supervisor gives the job to a technician even past the caps; recorded as forced, with why."""
    now = now or timezone.now()
    if not actor.has_perm("dispatch.force_dispatch"):
        raise ValidationError(_("Only a supervisor may force-dispatch."), code="forbidden")
    if not reason.strip():
        raise ValidationError(_("Give a reason for forcing this dispatch."), code="reason_required")
    if not technicians_on_duty().filter(pk=technician.pk).exists():
        # They could not open the job they would be sent, nor work it (issue 11).
        raise ValidationError(_("%(name)s cannot take jobs: the account is switched off or not a technician's."),
                              code="not_on_duty", params={"name": technician.name})
    with transaction.atomic():
        wo = _lock_wo(work_order)
        if wo.status not in (WS.UNASSIGNED, WS.OFFERED):
            raise ValidationError(_("Work order %(number)s is already taken."), code="taken", params={"number": wo.number})
        if wo.status == WS.OFFERED:
            Offer.objects.filter(work_order=wo, answer=Offer.Answer.PENDING).update(
                answer=Offer.Answer.WITHDRAWN, answered_at=now)
        settings = DispatchSettings.load()
        _offer, over = _offer_locked(wo=wo, technician=technician, actor=actor, now=now, settings=settings,
                                     forced=True, reason=reason.strip())
        fresh = technicians_with_load(now=now, qs=Technician.objects.filter(pk=technician.pk)).get()
        decision = DispatchDecision.objects.create(
            work_order=wo, chosen=technician, actor=actor, forced=True, made_at=now,
            explanation={"tier": wo.value_tier, "caps": _caps(settings, now), "chosen": _snapshot(fresh),
                         "forced": {"reason": reason.strip(), "over": over}, "ranked": [], "excluded": []},
        )
        _event(wo, actor, "force_dispatched", now, technician=technician.name, reason=reason.strip(), over=over)
        notify(recipient=technician.user, url=reverse("dispatch:workorder", args=[wo.pk]), email=True,
               kind="job_offer", group=f"ticket:{wo.ticket_id}",
               message=gettext_lazy("Supervisor assigned you work order %(number)s."), params={"number": wo.number})
        _refresh_next_check(wo)
    return decision


# --- the technician's answer ------------------------------------------------------------------

def _lock_pending_offer(wo: WorkOrder, offer: Offer) -> Offer:
    locked = Offer.objects.select_for_update().select_related("technician__user").get(pk=offer.pk)
    if locked.work_order_id != wo.pk or locked.answer != Offer.Answer.PENDING:
        raise ValidationError(_("This offer has already been answered."), code="answered")
    return locked


def offer_accept(*, offer: Offer, user, now: datetime | None = None) -> WorkOrder:
    now = now or timezone.now()
    with transaction.atomic():
        wo = _lock_wo(offer.work_order)
        locked = _lock_pending_offer(wo, offer)
        if locked.technician.user_id != user.pk:
            raise ValidationError(_("This offer is for another technician."), code="not_yours")
        if now >= locked.expires_at:
            raise ValidationError(_("This offer has expired."), code="expired")
        locked.answer, locked.answered_at = Offer.Answer.ACCEPTED, now
        locked.save(update_fields=["answer", "answered_at"])
        wo.status, wo.accepted_at = WS.ACCEPTED, now
        wo.save(update_fields=["status", "accepted_at", "updated_at"])
        _event(wo, user, "accepted", now)
        _refresh_next_check(wo)
        signals.workorder_booked.send(sender=WorkOrder, work_order=wo, now=now)
    return wo


def offer_decline(*, offer: Offer, user, reason: str, now: datetime | None = None) -> WorkOrder:
    """No silent refusal (domain.md §5): a reason is required; the job moves to the next technician."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why you decline this job."), code="reason_required")
    with transaction.atomic():
        wo = _lock_wo(offer.work_order)
        locked = _lock_pending_offer(wo, offer)
        if locked.technician.user_id != user.pk:
            raise ValidationError(_("This offer is for another technician."), code="not_yours")
        locked.answer, locked.answered_at, locked.decline_reason = Offer.Answer.DECLINED, now, reason[:500]
        locked.save(update_fields=["answer", "answered_at", "decline_reason"])
        wo.status, wo.technician = WS.UNASSIGNED, None
        wo.save(update_fields=["status", "technician", "updated_at"])
        _event(wo, user, "declined", now, reason=reason[:500])
        workorder_auto_dispatch(work_order=wo, now=now)
    wo.refresh_from_db()
    return wo


def offers_expire_due(*, now: datetime | None = None, batch: int = 50) -> int:
    """The timeout sweep (every minute): pending offers past expires_at → expired, exactly once, then
    the next eligible technician (or the supervisor). Work orders are claimed with SKIP LOCKED so two
    sweeps, or a sweep and a technician accepting at that moment, never fight over one row."""
    now = now or timezone.now()
    done, failed = 0, set()
    while True:
        with transaction.atomic():
            claimed = list(
                WorkOrder.objects.filter(
                    status=WS.OFFERED, offers__answer=Offer.Answer.PENDING, offers__expires_at__lte=now
                ).exclude(pk__in=failed).select_for_update(skip_locked=True, of=("self",)).order_by("pk")[:batch]
            )
            for wo in claimed:
                try:
                    with transaction.atomic():
                        done += _expire_offer(wo, now)
                except Exception:  # one bad row must not stall the sweep; the next tick retries it
                    logger.exception("Offer expiry failed for work order %s", wo.pk)
                    failed.add(wo.pk)
        if len(claimed) < batch:
            return done


def _expire_offer(wo: WorkOrder, now: datetime) -> int:
    offer = Offer.objects.filter(work_order=wo, answer=Offer.Answer.PENDING, expires_at__lte=now).first()
    if offer is None:
        return 0
    # Compare-and-set: only the sweep that flips pending → expired goes on.
    if not Offer.objects.filter(pk=offer.pk, answer=Offer.Answer.PENDING).update(
            answer=Offer.Answer.EXPIRED, answered_at=offer.expires_at):
        return 0
    wo.status, wo.technician = WS.UNASSIGNED, None
    wo.save(update_fields=["status", "technician", "updated_at"])
    _event(wo, None, "offer_expired", now, technician=offer.technician.name)
    expired = Offer.objects.filter(work_order=wo, answer=Offer.Answer.EXPIRED).count()
    # Not accepted in time → supervisor; repeated → manager (domain.md §5).
    level = Escalation.Level.SUPERVISOR if expired < 2 else Escalation.Level.MANAGER
    _escalate(wo, Escalation.Reason.NOT_ACCEPTED, level, due_at=offer.expires_at, now=now)
    workorder_auto_dispatch(work_order=wo, now=now)
    return 1


# --- escalations ------------------------------------------------------------------------------

def _schedule(wo: WorkOrder) -> list[tuple[str, int, datetime]]:
    """When each escalation of this work order would fire, given its current status."""
    entries = []
    if wo.status in (WS.UNASSIGNED, WS.OFFERED, WS.ACCEPTED):
        entries.append((Escalation.Reason.NOT_STARTED, Escalation.Level.SUPERVISOR, wo.window_start))
        entries.append((Escalation.Reason.NOT_STARTED, Escalation.Level.MANAGER, wo.window_end))
    if wo.status not in (WS.DONE, WS.CLOSED, WS.CANCELLED) and wo.resolution_due_at:
        due = wo.resolution_due_at
        target = max(due - wo.created_at, timedelta(hours=1))
        entries.append((Escalation.Reason.NOT_DONE, Escalation.Level.SUPERVISOR, due))
        # Second level at twice the allowed time, as the SLA's escalations do (domain.md §4).
        entries.append((Escalation.Reason.NOT_DONE, Escalation.Level.MANAGER, due + target))
    return entries


def _next_check_at(wo: WorkOrder, *, fired) -> datetime | None:
    """The earliest escalation of the schedule not yet fired ((reason, level) pairs in `fired`)."""
    return min((due for reason, level, due in _schedule(wo) if (reason, level) not in fired), default=None)


def _refresh_next_check(wo: WorkOrder) -> None:
    fired = set(Escalation.objects.filter(work_order=wo).values_list("reason", "level"))
    wo.next_check_at = _next_check_at(wo, fired=fired)
    WorkOrder.objects.filter(pk=wo.pk).update(next_check_at=wo.next_check_at)


def _escalate(wo: WorkOrder, reason: str, level: int, *, due_at: datetime, now: datetime) -> bool:
    """Insert the escalation; the UniqueConstraint makes it exactly once. Notify only the winner."""
    try:
        with transaction.atomic():
            Escalation.objects.create(work_order=wo, reason=reason, level=level, due_at=due_at, created_at=now)
    except IntegrityError:
        return False
    role = roles.SUPERVISOR if level == Escalation.Level.SUPERVISOR else roles.MANAGER
    label = Escalation.Reason(reason)
    number = wo.number
    _notify_role(role, Message(gettext_lazy("Work order %(number)s escalated: %(reason)s."),
                               {"number": number, "reason": label.label}),
                 reverse("dispatch:workorder", args=[wo.pk]), kind="dispatch_escalation", group=f"ticket:{wo.ticket_id}")
    _event(wo, None, "escalated", now, reason=reason, level=level)
    return True


def escalations_check_due(*, now: datetime | None = None, batch: int = 50) -> int:
    """The escalation sweep (every minute): not started by the window, not done by the deadline."""
    now = now or timezone.now()
    fired = 0
    settings = DispatchSettings.load()
    while True:
        with transaction.atomic():
            claimed = list(
                WorkOrder.objects.filter(next_check_at__lte=now)
                .select_related("ticket")
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("next_check_at")[:batch]
            )
            for wo in claimed:
                try:
                    with transaction.atomic():
                        due = resolution_deadline(wo.ticket, settings=settings)
                        if due != wo.resolution_due_at:
                            wo.resolution_due_at = due
                            WorkOrder.objects.filter(pk=wo.pk).update(resolution_due_at=due)
                        for reason, level, at in _schedule(wo):
                            if at <= now and _escalate(wo, reason, level, due_at=at, now=now):
                                fired += 1
                        _refresh_next_check(wo)
                except Exception:
                    logger.exception("Escalation check failed for work order %s", wo.pk)
                    WorkOrder.objects.filter(pk=wo.pk).update(next_check_at=now + timedelta(minutes=5))
        if len(claimed) < batch:
            return fired


# --- on site ----------------------------------------------------------------------------------

def _check_actor(wo: WorkOrder, actor) -> None:
    """Only the assigned technician works on the job; a supervisor may act on their behalf."""
    if wo.technician_id and wo.technician.user_id == actor.pk:
        return
    if actor.has_perm("dispatch.change_workorder"):
        return
    raise ValidationError(_("This work order is not yours."), code="not_yours")


def _require(wo: WorkOrder, *statuses) -> None:
    if wo.status not in statuses:
        raise ValidationError(
            _("Not possible while the work order is “%(status)s”."), code="wrong_status",
            params={"status": WS(wo.status).label},
        )


def workorder_arrive(*, work_order: WorkOrder, actor, now: datetime | None = None) -> WorkOrder:
    now = now or timezone.now()
    with transaction.atomic():
        wo = _lock_wo(work_order)
        _check_actor(wo, actor)
        _require(wo, WS.ACCEPTED)
        wo.status, wo.arrived_at = WS.ARRIVED, now
        wo.save(update_fields=["status", "arrived_at", "updated_at"])
        _event(wo, actor, "arrived", now)
        _refresh_next_check(wo)
    return wo


def quote_set(*, work_order: WorkOrder, amount: Decimal, description: str, actor,
              now: datetime | None = None) -> Quote:
    now = now or timezone.now()
    with transaction.atomic():
        wo = _lock_wo(work_order)
        _check_actor(wo, actor)
        _require(wo, WS.ACCEPTED, WS.ARRIVED)
        if wo.in_warranty:
            raise ValidationError(_("The asset is in warranty: the repair is free."), code="in_warranty")
        existing = Quote.objects.filter(work_order=wo).first()
        if existing and existing.is_accepted:
            raise ValidationError(_("The customer has already accepted the quote."), code="quote_accepted")
        quote = existing or Quote(work_order=wo, created_by=actor, created_at=now)
        quote.amount, quote.description = amount, description.strip()
        quote.created_by, quote.created_at = actor, now
        quote.full_clean()
        quote.save()
        _event(wo, actor, "quoted", now, amount=str(amount))
    return quote


def quote_accept(*, work_order: WorkOrder, name: str, signature_data_url: str, actor,
                 now: datetime | None = None) -> Quote:
    """The customer agrees the price and signs before work begins; the charge is recorded."""
    now = now or timezone.now()
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Enter the customer's name."), code="name_required")
    png = signature_from_data_url(signature_data_url)
    with transaction.atomic():
        wo = _lock_wo(work_order)
        _check_actor(wo, actor)
        quote = Quote.objects.select_for_update().filter(work_order=wo).first()
        if quote is None:
            raise ValidationError(_("Write the quote first."), code="no_quote")
        if quote.is_accepted:
            raise ValidationError(_("The customer has already accepted the quote."), code="quote_accepted")
        quote.accepted_by_name, quote.accepted_at = name[:100], now
        quote.signature.save(f"{wo.number}-quote.png", ContentFile(png), save=False)
        quote.save()
        wo.charge_amount = quote.amount
        wo.save(update_fields=["charge_amount", "updated_at"])
        _event(wo, actor, "quote_accepted", now, name=name[:100], amount=str(quote.amount))
    return quote


def workorder_start(*, work_order: WorkOrder, actor, now: datetime | None = None) -> WorkOrder:
    """Out of warranty, no work before the customer has accepted and signed the quote (domain.md §5)."""
    now = now or timezone.now()
    with transaction.atomic():
        wo = _lock_wo(work_order)
        _check_actor(wo, actor)
        _require(wo, WS.ARRIVED)
        if not wo.in_warranty:
            quote = Quote.objects.filter(work_order=wo).first()
            if quote is None or not quote.is_accepted:
                raise ValidationError(
                    _("Out of warranty: the customer must accept and sign the quote before work starts."),
                    code="quote_required",
                )
        wo.status, wo.started_at = WS.IN_PROGRESS, now
        wo.save(update_fields=["status", "started_at", "updated_at"])
        _event(wo, actor, "started", now)
        _refresh_next_check(wo)
    return wo


def workorder_record_work(*, work_order: WorkOrder, actor, work_done: str, fault_cause,
                          now: datetime | None = None) -> WorkOrder:
    """Work done and the fault cause (tickets.FaultCause, the managed list) — both needed to sign off."""
    now = now or timezone.now()
    work_done = (work_done or "").strip()
    if not work_done:
        raise ValidationError(_("Describe the work done."), code="work_missing")
    if fault_cause is not None and not fault_cause.is_active:
        raise ValidationError(_("That fault cause is no longer in use."), code="fault_cause_inactive")
    with transaction.atomic():
        wo = _lock_wo(work_order)
        _check_actor(wo, actor)
        _require(wo, WS.IN_PROGRESS)
        before = {"work_done": wo.work_done, "fault_cause": wo.fault_cause_id}
        wo.work_done, wo.fault_cause = work_done, fault_cause
        wo.save(update_fields=["work_done", "fault_cause", "updated_at"])
        _event(wo, actor, "work_recorded", now, before=before,
               after={"work_done": wo.work_done, "fault_cause": getattr(fault_cause, "pk", None)})
    return wo


def part_use(*, work_order: WorkOrder, part, quantity: int, actor, override_reason: str = "",
             faulty_returned: bool = False, faulty_note: str = "", now: datetime | None = None) -> PartUsage:
    """Requisition parts from stock: the stock row is locked and decreased in this transaction and
    never goes below zero (also a CheckConstraint). A supervisor may record an override for units
    not in stock (e.g. bought locally): stock goes to zero and the shortfall is recorded."""
    now = now or timezone.now()
    if quantity is None or quantity < 1:
        raise ValidationError(_("Quantity must be at least 1."), code="quantity")
    override_reason = (override_reason or "").strip()
    with transaction.atomic():
        wo = _lock_wo(work_order)
        _check_actor(wo, actor)
        _require(wo, WS.IN_PROGRESS)
        stock, _created = StockLevel.objects.get_or_create(part=part)
        stock = StockLevel.objects.select_for_update().get(pk=stock.pk)
        taken, shortfall = min(stock.quantity, quantity), max(0, quantity - stock.quantity)
        override_by = None
        if shortfall:
            if not override_reason:
                raise ValidationError(
                    _("Only %(on_hand)s of %(part)s in stock."), code="out_of_stock",
                    params={"on_hand": stock.quantity, "part": part.display_name},
                )
            if not actor.has_perm("dispatch.override_stock"):
                raise ValidationError(_("Only a supervisor may use parts beyond the stock on hand."),
                                      code="override_forbidden")
            override_by = actor
        if taken:
            StockLevel.objects.filter(pk=stock.pk).update(quantity=F("quantity") - taken)
        usage = PartUsage.objects.create(
            work_order=wo, part=part, quantity=quantity, shortfall=shortfall, override_by=override_by,
            override_reason=override_reason if override_by else "", faulty_returned=faulty_returned,
            faulty_note=faulty_note.strip()[:200], recorded_by=actor, recorded_at=now,
        )
        _event(wo, actor, "part_used", now, part=part.sku, quantity=quantity, shortfall=shortfall,
               faulty_returned=faulty_returned)
    return usage


def photo_add(*, work_order: WorkOrder, upload, actor, now: datetime | None = None) -> WorkOrderPhoto:
    now = now or timezone.now()
    ext = check_photo(upload)
    with transaction.atomic():
        wo = _lock_wo(work_order)
        _check_actor(wo, actor)
        _require(wo, WS.ARRIVED, WS.IN_PROGRESS, WS.DONE)
        photo = WorkOrderPhoto(work_order=wo, uploaded_by=actor, uploaded_at=now)
        photo.image.save(f"{wo.number}.{ext}", upload, save=False)
        photo.save()
        _event(wo, actor, "photo_added", now)
    return photo


def workorder_sign_off(*, work_order: WorkOrder, actor, name: str, signature_data_url: str,
                       now: datetime | None = None) -> WorkOrder:
    """The customer's sign-off (客户签字确认): name, drawn signature, time. The job counts as done."""
    now = now or timezone.now()
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Enter the customer's name."), code="name_required")
    png = signature_from_data_url(signature_data_url)
    with transaction.atomic():
        wo = _lock_wo(work_order)
        _check_actor(wo, actor)
        _require(wo, WS.IN_PROGRESS)
        if not wo.work_done or wo.fault_cause_id is None:
            raise ValidationError(_("Record the work done and the fault cause before the customer signs."),
                                  code="work_missing")
        wo.signed_by_name, wo.signed_at, wo.status = name[:100], now, WS.DONE
        wo.signature.save(f"{wo.number}-signoff.png", ContentFile(png), save=False)
        wo.save()
        _event(wo, actor, "signed_off", now, name=wo.signed_by_name)
        _refresh_next_check(wo)
    return wo


def workorder_close(*, work_order: WorkOrder, actor, now: datetime | None = None) -> WorkOrder:
    """Close a signed job; tell the other areas (workorder_closed); when every work order of the
    ticket is finished, resolve the ticket with the fault cause and the work done."""
    now = now or timezone.now()
    with transaction.atomic():
        wo = _lock_wo(work_order)
        _check_actor(wo, actor)
        if wo.status != WS.DONE or not wo.signed_at:
            raise ValidationError(_("The customer must sign off before the work order is closed."),
                                  code="signoff_required")
        wo.status, wo.closed_at = WS.CLOSED, now
        wo.save(update_fields=["status", "closed_at", "updated_at"])
        _event(wo, actor, "closed", now)
        _refresh_next_check(wo)
        signals.workorder_closed.send(sender=WorkOrder, work_order=wo, now=now)
        _resolve_ticket_if_done(wo, actor, now)
    return wo


def _resolve_ticket_if_done(wo: WorkOrder, actor, now: datetime) -> None:
    from tickets import services as ticket_services

    ticket = wo.ticket
    if WorkOrder.objects.filter(ticket=ticket).exclude(status__in=WorkOrder.FINISHED_STATUSES).exists():
        return
    ticket.refresh_from_db()
    if not ticket.is_open:
        return
    closed = list(WorkOrder.objects.filter(ticket=ticket, status=WS.CLOSED).select_related("fault_cause")
                  .order_by("closed_at", "pk"))
    solution = "\n".join(f"{w.number}: {w.work_done}" for w in closed)
    # The last job's cause is the ticket's (the visit that fixed it); an inactive one is left out.
    cause = next((w.fault_cause for w in reversed(closed) if w.fault_cause and w.fault_cause.is_active), None)
    ticket_services.ticket_resolve(ticket=ticket, actor=actor, fault_cause=cause, solution=solution, now=now)


def workorder_cancel(*, work_order: WorkOrder, actor, reason: str, now: datetime | None = None) -> WorkOrder:
    now = now or timezone.now()
    if not (reason or "").strip():
        raise ValidationError(_("Give a reason for cancelling."), code="reason_required")
    with transaction.atomic():
        wo = _lock_wo(work_order)
        _require(wo, WS.UNASSIGNED, WS.OFFERED, WS.ACCEPTED)
        Offer.objects.filter(work_order=wo, answer=Offer.Answer.PENDING).update(
            answer=Offer.Answer.WITHDRAWN, answered_at=now)
        wo.status, wo.technician = WS.CANCELLED, None
        wo.save(update_fields=["status", "technician", "updated_at"])
        _event(wo, actor, "cancelled", now, reason=reason.strip())
        _refresh_next_check(wo)
    return wo
