"""Writes of the quality area: demerit slips and quality inspection (issue 18, item 3).

Every action by a named person writes a QualityEvent (who, when, before → after); the people concerned
are told through the bell (servicedesk.services.notify), in the same transaction.
"""
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reports.periods import local_midnight, local_tz

from .models import (
    ChecklistItem,
    DailySample,
    DemeritCategory,
    DemeritSlip,
    Finding,
    InspectionTask,
    QualityEvent,
    SeverityLevel,
)

NOTIFY_KIND = "quality"  # registered in servicedesk.preferences.KINDS by QualityConfig.ready


def _notify(*, recipient, message, url, params=None):
    """A bell entry written in the same transaction as its cause (servicedesk.services.notify)."""
    from servicedesk.services import notify

    # email=True: the recipient's preference for this kind decides (bell by default), as in the other areas
    notify(recipient=recipient, message=message, url=url, params=params, kind=NOTIFY_KIND, email=True)


def _event(*, kind, actor, at, slip=None, task=None, finding=None, before=None, after=None) -> QualityEvent:
    return QualityEvent.objects.create(kind=kind, actor=actor, at=at, slip=slip, task=task, finding=finding,
                                       before=before or {}, after=after or {})


# --- Demerit slips -----------------------------------------------------------------------------------------

def slip_record(*, person, category: DemeritCategory, description: str, occurred_at: datetime, recorded_by,
                points: Decimal | None = None, fine: Decimal | None = None, evidence=None,
                evidence_type: str = "", now: datetime | None = None) -> DemeritSlip:
    """Record a 过失单 against a person (issue 18: front-desk demerit slips, deduction or fine set by the
    manager's category unless the recorder changes it). The person is told through the bell."""
    now = now or timezone.now()
    if person.pk == recorded_by.pk:
        raise ValidationError(_("You cannot record a demerit slip against yourself."), code="self")
    if not person.is_active:
        raise ValidationError(_("This person's account is not active."), code="inactive")
    if occurred_at > now + timedelta(minutes=5):
        raise ValidationError(_("The time of the failing is in the future."), code="future")
    slip = DemeritSlip(
        person=person, category=category, description=description.strip(), occurred_at=occurred_at,
        points=category.default_points if points is None else points,
        fine=category.default_fine if fine is None else fine,
        recorded_by=recorded_by, recorded_at=now,
    )
    if evidence is not None:
        slip.evidence_name = (evidence.name or "")[:200]
        slip.evidence_type = evidence_type
    slip.full_clean(exclude=["evidence"])
    with transaction.atomic():
        if evidence is not None:
            slip.evidence.save(slip.evidence_name, evidence, save=False)
        slip.save()
        _event(kind=QualityEvent.Kind.SLIP_RECORDED, actor=recorded_by, at=now, slip=slip,
               after={"category": category.pk, "points": str(slip.points), "fine": str(slip.fine)})
        _notify(recipient=person, url=reverse("quality:slip_detail", args=[slip.pk]),
                          message=_("A demerit slip was recorded for you (%(category)s, −%(points)s points). "
                                    "Please read and acknowledge it."),
                          params={"category": category.display_name, "points": str(slip.points)})
    return slip


def slip_acknowledge(*, slip: DemeritSlip, by, response: str = "", now: datetime | None = None) -> DemeritSlip:
    """The person confirms they have read the slip, with their side of it if they wish. Only once."""
    now = now or timezone.now()
    if by.pk != slip.person_id:
        raise ValidationError(_("Only the person the slip is about can acknowledge it."), code="not_person")
    if slip.is_withdrawn:
        raise ValidationError(_("This slip was withdrawn; there is nothing to acknowledge."), code="withdrawn")
    with transaction.atomic():
        # Compare-and-set on both: a withdrawal committed since the slip was read wins.
        updated = DemeritSlip.objects.filter(pk=slip.pk, acknowledged_at__isnull=True, withdrawn_at__isnull=True
                                             ).update(acknowledged_at=now, response=response.strip())
        if updated != 1:
            if DemeritSlip.objects.filter(pk=slip.pk, withdrawn_at__isnull=False).exists():
                raise ValidationError(_("This slip was withdrawn; there is nothing to acknowledge."), code="withdrawn")
            raise ValidationError(_("You have already acknowledged this slip."), code="already")
        _event(kind=QualityEvent.Kind.SLIP_ACKNOWLEDGED, actor=by, at=now, slip=slip,
               after={"response": response.strip()})
        if response.strip():
            _notify(recipient=slip.recorded_by, url=reverse("quality:slip_detail", args=[slip.pk]),
                              message=_("%(person)s responded to the demerit slip you recorded."),
                              params={"person": by.get_full_name() or by.username})
    slip.refresh_from_db()
    return slip


def slip_withdraw(*, slip: DemeritSlip, by, reason: str, now: datetime | None = None) -> DemeritSlip:
    """A supervisor or manager withdraws a slip: it stays on record, marked, and no longer deducts."""
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why the slip is withdrawn."), code="reason")
    if by.pk == slip.person_id:
        raise ValidationError(_("You cannot withdraw a slip about yourself."), code="self")
    with transaction.atomic():
        updated = DemeritSlip.objects.filter(pk=slip.pk, withdrawn_at__isnull=True).update(
            withdrawn_at=now, withdrawn_by=by, withdraw_reason=reason[:500])
        if updated != 1:
            raise ValidationError(_("This slip was already withdrawn."), code="already")
        _event(kind=QualityEvent.Kind.SLIP_WITHDRAWN, actor=by, at=now, slip=slip,
               before={"points": str(slip.points), "fine": str(slip.fine)}, after={"reason": reason[:500]})
        _notify(recipient=slip.person, url=reverse("quality:slip_detail", args=[slip.pk]),
                          message=_("A demerit slip recorded for you was withdrawn: %(reason)s"),
                          params={"reason": reason[:200]})
    slip.refresh_from_db()
    return slip


# --- Daily sample ------------------------------------------------------------------------------------------

def _inspectors():
    User = get_user_model()
    perm = Permission.objects.filter(content_type__app_label="quality", codename="inspect").first()
    q = Q(is_superuser=True)
    if perm is not None:
        q |= Q(groups__permissions=perm) | Q(user_permissions=perm)
    return User.objects.filter(q, is_active=True).distinct()


def _low_score_ticket_ids(start, end) -> list[int]:
    from followups.models import SurveyResponse
    from followups.selectors import policy

    pol = policy()
    return list(SurveyResponse.objects.filter(
        Q(overall__lte=pol.low_overall_max) | Q(recommend__lte=pol.low_recommend_max),
        submitted_at__gte=start, submitted_at__lt=end, ticket__isnull=False,
    ).values_list("ticket_id", flat=True).distinct())


def sample_create_daily(*, day: date | None = None, now: datetime | None = None) -> DailySample | None:
    """Pick the work of one local day (default: yesterday) for inspection, exactly once per day
    (domain: inspectors check daily; issue 18: random plus every low survey score and every complaint).

    - a random QUALITY_SAMPLE_TICKETS of the tickets resolved or closed that day, QUALITY_SAMPLE_CONTACTS
      of the contacts started that day and QUALITY_SAMPLE_WORK_ORDERS of the work orders closed that day;
    - plus every ticket whose survey, answered that day, has a low score (followups policy), and every
      complaint opened that day.
    The person responsible is the ticket's assignee (or whoever opened it, if nobody was assigned), the
    contact's handler, the work order's technician. Returns None when that day was already picked: the
    unique day makes a second run (or two at once) a no-op. A fixed handful of statements.
    """
    from customers.models import Contact
    from dispatch.models import WorkOrder
    from tickets.models import Ticket

    now = now or timezone.now()
    day = day or (timezone.localtime(now, local_tz()).date() - timedelta(days=1))
    start, end = local_midnight(day), local_midnight(day + timedelta(days=1))
    if DailySample.objects.filter(day=day).exists():
        return None
    try:
        with transaction.atomic():
            sample = DailySample.objects.create(day=day, created_at=now)
            chosen: dict[int, str] = {}
            for pk in Ticket.objects.filter(kind=Ticket.Kind.COMPLAINT, created_at__gte=start,
                                            created_at__lt=end).values_list("pk", flat=True):
                chosen[pk] = InspectionTask.Reason.COMPLAINT
            for pk in _low_score_ticket_ids(start, end):
                chosen.setdefault(pk, InspectionTask.Reason.LOW_SCORE)
            done = Q(resolved_at__gte=start, resolved_at__lt=end) | Q(closed_at__gte=start, closed_at__lt=end)
            random_ids = (Ticket.objects.filter(done, status__in=[Ticket.Status.RESOLVED, Ticket.Status.CLOSED])
                          .exclude(pk__in=list(chosen)).order_by("?")
                          .values_list("pk", flat=True)[:settings.QUALITY_SAMPLE_TICKETS])
            for pk in random_ids:
                chosen.setdefault(pk, InspectionTask.Reason.RANDOM)
            tasks = []
            for pk, assignee, creator, creator_active, resolved, closed, created in \
                    Ticket.objects.filter(pk__in=list(chosen)).values_list(
                        "pk", "assignee_id", "created_by_id", "created_by__is_active", "resolved_at", "closed_at",
                        "created_at"):
                # Unassigned: whoever opened it, unless that is an inactive system account (portal, mail).
                tasks.append(InspectionTask(sample=sample, kind=InspectionTask.Kind.TICKET, reason=chosen[pk],
                                            ticket_id=pk, person_id=assignee or (creator if creator_active else None),
                                            occurred_at=resolved or closed or created))
            for pk, handler, started in (Contact.objects.filter(started_at__gte=start, started_at__lt=end)
                                         .order_by("?").values_list("pk", "handled_by_id", "started_at")
                                         [:settings.QUALITY_SAMPLE_CONTACTS]):
                tasks.append(InspectionTask(sample=sample, kind=InspectionTask.Kind.CONTACT,
                                            reason=InspectionTask.Reason.RANDOM, contact_id=pk, person_id=handler,
                                            occurred_at=started))
            for pk, tech_user, closed in (WorkOrder.objects.filter(status=WorkOrder.Status.CLOSED,
                                                                   closed_at__gte=start, closed_at__lt=end)
                                          .order_by("?").values_list("pk", "technician__user_id", "closed_at")
                                          [:settings.QUALITY_SAMPLE_WORK_ORDERS]):
                tasks.append(InspectionTask(sample=sample, kind=InspectionTask.Kind.WORK_ORDER,
                                            reason=InspectionTask.Reason.RANDOM, work_order_id=pk,
                                            person_id=tech_user, occurred_at=closed))
            InspectionTask.objects.bulk_create(tasks)
            sample.size = len(tasks)
            sample.save(update_fields=["size"])
            _event(kind=QualityEvent.Kind.SAMPLE_CREATED, actor=None, at=now, after={"day": day.isoformat(),
                                                                                      "items": len(tasks)})
            if tasks:
                from servicedesk.preferences import Note
                from servicedesk.services import notify_many

                url = reverse("quality:queue")
                notes = [Note(recipient=user, url=url, kind=NOTIFY_KIND, group=f"quality-sample-{day}",
                              message=_("%(n)s items of %(day)s are waiting for quality inspection."),
                              params={"n": len(tasks), "day": day.isoformat()})
                         for user in _inspectors()]
                notify_many(notes, email=True)
    except IntegrityError:
        # Another run picked the same day between our check and our insert.
        return None
    return sample


# --- Inspection -------------------------------------------------------------------------------------------

def inspection_record(*, task: InspectionTask, inspector, results: list[tuple[ChecklistItem, SeverityLevel | None, str]],
                      note: str = "", now: datetime | None = None) -> list[Finding]:
    """The inspector's checklist for one sampled item: each item passes (severity None) or is a finding of
    a level, whose penalty in points is copied onto the finding. Once per task; the inspected person is
    told of any finding and can respond."""
    now = now or timezone.now()
    if task.person_id is None:
        raise ValidationError(_("Nobody is responsible for this item, so there is no one to inspect."),
                              code="no_person")
    if task.person_id == inspector.pk:
        raise ValidationError(_("You cannot inspect your own work."), code="self")
    with transaction.atomic():
        updated = InspectionTask.objects.filter(pk=task.pk, status=InspectionTask.Status.PENDING).update(
            status=InspectionTask.Status.DONE, inspector=inspector, inspected_at=now, note=note.strip())
        if updated != 1:
            raise ValidationError(_("This item was already inspected."), code="already")
        findings = Finding.objects.bulk_create([
            Finding(task=task, item=item, severity=severity, points=severity.points, note=text.strip()[:1000],
                    person_id=task.person_id, occurred_at=task.occurred_at, found_by=inspector, found_at=now)
            for item, severity, text in results if severity is not None
        ])
        _event(kind=QualityEvent.Kind.INSPECTED, actor=inspector, at=now, task=task,
               after={"findings": [{"item": f.item_id, "severity": f.severity.code, "points": str(f.points)}
                                   for f in findings]})
        if findings:
            total = sum((f.points for f in findings), Decimal("0"))
            _notify(recipient=task.person, url=reverse("quality:findings") + "?mine=1",
                              message=_("Quality inspection found %(n)s problem(s) in your work "
                                        "(−%(points)s points). You can respond to each finding."),
                              params={"n": len(findings), "points": str(total)})
    task.refresh_from_db()
    return findings


def finding_respond(*, finding: Finding, by, response: str, now: datetime | None = None) -> Finding:
    """The inspected person gives their side of a finding (it can be changed until overturned)."""
    now = now or timezone.now()
    response = response.strip()
    if by.pk != finding.person_id:
        raise ValidationError(_("Only the inspected person can respond to a finding."), code="not_person")
    if not response:
        raise ValidationError(_("Write your response."), code="empty")
    with transaction.atomic():
        before = finding.response
        if Finding.objects.filter(pk=finding.pk, overturned_at__isnull=True).update(response=response,
                                                                                   responded_at=now) != 1:
            raise ValidationError(_("This finding was already overturned."), code="overturned")
        _event(kind=QualityEvent.Kind.FINDING_RESPONDED, actor=by, at=now, finding=finding,
               before={"response": before}, after={"response": response})
        _notify(recipient=finding.found_by, url=reverse("quality:finding_detail", args=[finding.pk]),
                          message=_("%(person)s responded to a quality finding."),
                          params={"person": by.get_full_name() or by.username})
    finding.refresh_from_db()
    return finding


def finding_overturn(*, finding: Finding, by, reason: str, now: datetime | None = None) -> Finding:
    """A supervisor overturns a finding on review: it stays on record, marked, and no longer deducts."""
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why the finding is overturned."), code="reason")
    if by.pk == finding.person_id:
        raise ValidationError(_("You cannot review a finding about your own work."), code="self")
    with transaction.atomic():
        updated = Finding.objects.filter(pk=finding.pk, overturned_at__isnull=True).update(
            overturned_at=now, overturned_by=by, overturn_reason=reason[:500])
        if updated != 1:
            raise ValidationError(_("This finding was already overturned."), code="already")
        _event(kind=QualityEvent.Kind.FINDING_OVERTURNED, actor=by, at=now, finding=finding,
               before={"points": str(finding.points)}, after={"reason": reason[:500]})
        _notify(recipient=finding.person, url=reverse("quality:finding_detail", args=[finding.pk]),
                          message=_("A quality finding about your work was overturned: %(reason)s"),
                          params={"reason": reason[:200]})
    finding.refresh_from_db()
    return finding
