"""Merging duplicate tickets and linking related ones (issue 19 item 7).

A customer calls twice about the same fault and gets two tickets: the agent merges the duplicate into the
ticket that goes on (the survivor). Everything that hangs on the duplicate — replies, timeline events,
files, SLA clocks, work orders, callbacks, e-mails, and whatever a later app points at a ticket — moves to
the survivor (generic over the foreign keys, like the customer merge), and the duplicate is cancelled with
a pointer (Ticket.merged_into), so its number and its old links still lead somewhere. Both timelines say
what happened, and the duplicate's cancellation goes through the state machine like any other, so the
other areas (dispatch, callbacks, webhooks) hear of it the usual way — after its work has moved away.

What stays with the duplicate: its one-to-one records (a complaint's handling form, the customer's status
link, a lead's outcome), a complaint's department hand-offs, and any row the survivor already has its
one-per-ticket copy of (an SLA clock of the same target, a tag, a survey invitation): those are listed in
the merge event as kept.
"""
from __future__ import annotations

from datetime import datetime

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Ticket, TicketLink, TicketTag

S = Ticket.Status

# Rows that are the duplicate's own record and stay with it (besides every one-to-one).
STAY = {"tickets.ComplaintHandoff"}
# Moved by hand below (one clock per target and ticket).
SPECIAL = {"sla.SLAClock"}


def _reverse_foreign_keys():
    """(model, field) for every many-to-one pointing at Ticket now, apps added later included (and
    auto-created many-to-many tables), except the ticket's own merge pointer and the rows that stay."""
    for model in apps.get_models(include_auto_created=True):
        if model is Ticket or model._meta.label in STAY or model._meta.label in SPECIAL:
            continue
        for f in model._meta.get_fields(include_hidden=True):
            if (f.concrete and f.is_relation and f.many_to_one and f.remote_field is not None
                    and f.remote_field.model is Ticket):
                yield model, f


def _label(model) -> str:
    return str(model._meta.verbose_name_plural)


def merge_preview(*, ticket: Ticket) -> dict[str, int]:
    """What merging this ticket into another would move: rows per kind (verbose plural → count).
    One COUNT per kind of row; read when the merge panel opens, not on the ticket page. SLA clocks are not
    counted: which of them move depends on the ticket chosen (see _clock_plan)."""
    counts: dict[str, int] = {}
    for model, f in _reverse_foreign_keys():
        n = model._base_manager.filter(**{f.attname: ticket.pk}).count()
        if n:
            counts[_label(model)] = counts.get(_label(model), 0) + n
    return counts


def merge_candidates(*, ticket: Ticket, limit: int = 20) -> tuple[list[Ticket], bool]:
    """The tickets this one may be merged into: the same customer's other open tickets of the same kind,
    newest first. Returns (up to ``limit`` of them, whether there are more)."""
    rows = list(Ticket.objects.filter(customer_id=ticket.customer_id, kind=ticket.kind, status__in=Ticket.OPEN_STATUSES,
                                      merged_into__isnull=True).exclude(pk=ticket.pk)
                .only("pk", "number", "subject", "status", "created_at").order_by("-created_at", "-pk")[:limit + 1])
    return rows[:limit], len(rows) > limit


def _check(survivor: Ticket, duplicate: Ticket) -> None:
    if survivor.pk == duplicate.pk:
        raise ValidationError(_("A ticket cannot be merged into itself."), code="same")
    if survivor.merged_into_id or duplicate.merged_into_id:
        raise ValidationError(_("One of these tickets has already been merged."), code="already_merged")
    if survivor.customer_id != duplicate.customer_id:
        raise ValidationError(_("Only tickets of the same customer can be merged; link them instead."),
                              code="other_customer")
    if survivor.kind != duplicate.kind:
        raise ValidationError(_("Only tickets of the same kind can be merged; link them instead."), code="other_kind")
    for t in (survivor, duplicate):
        if t.status not in Ticket.OPEN_STATUSES:
            raise ValidationError(
                _("%(number)s is “%(status)s”: only open tickets are merged (reopen it first, or link them)."),
                code="not_open", params={"number": t.number, "status": S(t.status).label})


def _clock_plan(survivor: Ticket, duplicate: Ticket):
    """Which of the duplicate's SLA clocks move (targets the survivor has none of). The survivor keeps its
    own clock of a target both have; the duplicate's stops with its cancellation (undecided, unless already
    breached). Refused when the duplicate's running clock would fall due first: merging the other way keeps
    the earlier promise to the customer, and no merge can make a deadline disappear."""
    from sla.models import SLAClock, Target

    mine = {c.target: c for c in SLAClock.objects.select_for_update().filter(ticket_id=survivor.pk,
                                                                               handoff__isnull=True)}
    move, keep = [], []
    for c in SLAClock.objects.select_for_update().filter(ticket_id=duplicate.pk, handoff__isnull=True).order_by("pk"):
        other = mine.get(c.target)
        if other is None:
            move.append(c)
            continue
        if c.stopped_at is None and other.stopped_at is None and c.deadline < other.deadline:
            raise ValidationError(
                _("%(dup)s's %(target)s deadline (%(when)s) comes before %(survivor)s's: merge %(survivor)s into "
                  "%(dup)s instead, so the earlier promise to the customer stands."),
                code="earlier_deadline",
                params={"dup": duplicate.number, "survivor": survivor.number, "target": Target(c.target).label,
                        "when": timezone.localtime(c.deadline).strftime("%Y-%m-%d %H:%M")})
        keep.append(c)
    return move, keep


def _move_rows(model, f, duplicate: Ticket, survivor: Ticket) -> tuple[int, int]:
    """Re-point the duplicate's rows of one kind; (moved, kept). One UPDATE; if a one-per-ticket rule
    refuses it (the survivor has its own copy), row by row, each in a savepoint, keeping the clashing ones."""
    qs = model._base_manager.filter(**{f.attname: duplicate.pk})
    try:
        with transaction.atomic():
            return qs.update(**{f.attname: survivor.pk}), 0
    except IntegrityError:
        pass
    moved = kept = 0
    for pk in list(qs.values_list("pk", flat=True)):
        try:
            with transaction.atomic():
                model._base_manager.filter(pk=pk).update(**{f.attname: survivor.pk})
            moved += 1
        except IntegrityError:
            kept += 1
    return moved, kept


def ticket_merge(*, survivor: Ticket, duplicate: Ticket, actor, now: datetime | None = None,
                 expected_version: int | None = None) -> dict:
    """Merge ``duplicate`` into ``survivor`` (both open tickets of one customer, of one kind).

    One transaction. Both tickets are locked in primary-key order, so two merges of the same pair (or the
    pair crossed) cannot deadlock or both succeed. ``expected_version`` is the duplicate's version the
    person saw. Returns {"moved": {label: n}, "kept": {label: n}}.
    """
    from sla.services import ticket_sla_due_refresh

    from . import services

    now = now or timezone.now()
    if actor is not None and not actor.has_perm("tickets.merge_ticket"):
        raise ValidationError(_("You cannot merge tickets."), code="merge_forbidden")
    with transaction.atomic():
        locked = {t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=[survivor.pk, duplicate.pk])
                  .order_by("pk")}
        if len(locked) < 2:
            raise ValidationError(_("A ticket cannot be merged into itself."), code="same")
        sur, dup = locked[survivor.pk], locked[duplicate.pk]
        if expected_version is not None and int(expected_version) != dup.version:
            raise services.StaleTicket(
                _("Someone else changed this ticket while you were looking at it. Nothing was saved: check the "
                  "latest version below and try again."), code="stale")
        _check(sur, dup)
        clocks_move, clocks_keep = _clock_plan(sur, dup)

        # A link between the two ends with the merge; other links move like any other row.
        TicketLink.objects.filter(Q(from_ticket=dup, to_ticket=sur) | Q(from_ticket=sur, to_ticket=dup)).delete()
        moved: dict[str, int] = {}
        kept: dict[str, int] = {}
        for model, f in _reverse_foreign_keys():
            n_moved, n_kept = _move_rows(model, f, dup, sur)
            if n_moved:
                moved[_label(model)] = moved.get(_label(model), 0) + n_moved
            if n_kept:
                kept[_label(model)] = kept.get(_label(model), 0) + n_kept
        if clocks_move:
            from sla.models import SLAClock

            SLAClock.objects.filter(pk__in=[c.pk for c in clocks_move]).update(ticket_id=sur.pk)
            moved[_label(SLAClock)] = len(clocks_move)
        if clocks_keep:
            kept[_label(clocks_keep[0])] = len(clocks_keep)
        # Tickets merged into the duplicate earlier now lead straight to the survivor.
        Ticket.objects.filter(merged_into=dup).update(merged_into=sur)

        # What the moved rows change on the survivor itself: its tags, its links, its due time.
        sur.tag_ids = sorted(TicketTag.objects.filter(ticket=sur).values_list("tag_id", flat=True))
        dup.tag_ids = sorted(TicketTag.objects.filter(ticket=dup).values_list("tag_id", flat=True))
        sur.has_links = _has_links(sur.pk)
        dup.has_links = _has_links(dup.pk)
        services._save(sur, ["tag_ids", "has_links"], original=survivor)
        ticket_sla_due_refresh(ticket_ids=[sur.pk, dup.pk])

        summary = {"moved": moved, "kept": kept}
        services.event_record(ticket=sur, actor=actor, kind="merged", now=now,
                              after={"number": dup.number, "id": dup.pk, "subject": dup.subject, **summary})
        dup.merged_into = sur
        Ticket.objects.filter(pk=dup.pk).update(merged_into=sur, tag_ids=dup.tag_ids, has_links=dup.has_links)
        services.event_record(ticket=dup, actor=actor, kind="merged_into", now=now,
                              after={"number": sur.number, "id": sur.pk, **summary})
        # Through the state machine, so dispatch, callbacks and webhooks hear of it as of any cancellation
        # (after the work moved away, so nothing of the survivor's is cancelled with it).
        services._apply_transition(dup, S.CANCELLED, actor=actor, now=now,
                                   reason=_("Merged into %(number)s") % {"number": sur.number})
        if duplicate is not dup:
            duplicate.status, duplicate.version, duplicate.merged_into_id = dup.status, dup.version, sur.pk
    return summary


# --- links -------------------------------------------------------------------------------------------------

def _has_links(ticket_id: int) -> bool:
    return TicketLink.objects.filter(Q(from_ticket_id=ticket_id) | Q(to_ticket_id=ticket_id)).exists()


ROLE_RELATED, ROLE_CHILD, ROLE_PARENT = TicketLink.ROLE_RELATED, TicketLink.ROLE_CHILD, TicketLink.ROLE_PARENT


def ticket_link(*, ticket: Ticket, other: Ticket, role: str, actor, now: datetime | None = None) -> TicketLink:
    """Link two tickets; ``role`` is what ``other`` is to ``ticket`` (related, child or parent).
    One link per pair (a database rule); both timelines record it."""
    from . import services

    now = now or timezone.now()
    if other.pk == ticket.pk:
        raise ValidationError(_("A ticket cannot be linked to itself."), code="self_link")
    if role not in (ROLE_RELATED, ROLE_CHILD, ROLE_PARENT):
        raise ValidationError(_("Choose how the tickets are related."), code="role")
    with transaction.atomic():
        locked = {t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=[ticket.pk, other.pk]).order_by("pk")}
        if len(locked) < 2:
            raise ValidationError(_("That ticket no longer exists."), code="gone")
        if role == ROLE_PARENT:
            parent, child = other, ticket
        else:
            parent, child = ticket, other
        kind = TicketLink.Kind.RELATED if role == ROLE_RELATED else TicketLink.Kind.PARENT
        try:
            with transaction.atomic():
                link = TicketLink.objects.create(from_ticket=parent, to_ticket=child, kind=kind, created_by=actor,
                                                 created_at=now)
        except IntegrityError:
            raise ValidationError(_("%(a)s and %(b)s are already linked."), code="linked",
                                  params={"a": ticket.number, "b": other.number})
        Ticket.objects.filter(pk__in=[ticket.pk, other.pk]).update(has_links=True)
        for t, o in ((ticket, other), (other, ticket)):
            services.event_record(ticket=t, actor=actor, kind="linked", now=now,
                                  after={"number": o.number, "id": o.pk, "role": link.role_for(t.pk)})
        ticket.has_links = True
    return link


def ticket_unlink(*, ticket: Ticket, link_id: int, actor, now: datetime | None = None) -> Ticket:
    """Remove one of this ticket's links (both timelines say so). Returns the other ticket."""
    from . import services

    now = now or timezone.now()
    with transaction.atomic():
        link = (TicketLink.objects.select_for_update().select_related("from_ticket", "to_ticket")
                .filter(Q(from_ticket=ticket) | Q(to_ticket=ticket), pk=link_id).first())
        if link is None:
            raise ValidationError(_("This link was already removed."), code="gone")
        other = link.to_ticket if link.from_ticket_id == ticket.pk else link.from_ticket
        roles = {ticket.pk: link.role_for(ticket.pk), other.pk: link.role_for(other.pk)}
        link.delete()
        for t, o in ((ticket, other), (other, ticket)):
            Ticket.objects.filter(pk=t.pk).update(has_links=_has_links(t.pk))
            services.event_record(ticket=t, actor=actor, kind="unlinked", now=now,
                                  after={"number": o.number, "id": o.pk, "role": roles[t.pk]})
        ticket.has_links = _has_links(ticket.pk)
    return other
