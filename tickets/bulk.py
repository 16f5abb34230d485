"""Bulk changes to tickets (issue 19 item 2): assign, change status or priority, add a tag or apply a
macro to many tickets at once — each ticket through the same service as the ticket page, so the state
machine, the permissions and the timeline are the same; refusals are listed per ticket with the reason.

A small selection runs inside the request; a large one in the background (Celery, queued on commit),
with progress on its page, and the resume sweep finishes any run a dead worker left. Exactly once: the
cursor moves in the same transaction as the tickets of its batch. Undo puts back the value each ticket
had, where nobody has changed it since.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import services
from .models import BulkAction, Tag, Ticket

K = BulkAction.Kind
MAX_TICKETS = 5000   # at once; the page says so and asks for a narrower filter
INLINE = 25          # a page's worth runs in the request; more goes to the background
BATCH = 50


def _reason(bulk: BulkAction) -> str:
    if bulk.undo_of_id:
        return _("Undo of bulk change #%(n)d") % {"n": bulk.undo_of_id}
    return _("Bulk change #%(n)d") % {"n": bulk.pk}


def _check(*, actor, kind: str, params: dict) -> dict:
    """Refuse a bulk action the actor may not do at all, or one with a missing or unknown value."""
    from servicedesk.params import id_param

    User = get_user_model()
    if kind in (K.ASSIGN, K.STATUS, K.PRIORITY, K.MACRO) and not actor.has_perm("tickets.work_ticket"):
        raise ValidationError(_("Your role cannot change tickets in bulk."), code="bulk_forbidden")
    if kind == K.TAG and not actor.has_perm("tickets.tag_ticket"):
        raise ValidationError(_("You cannot change tickets' tags."), code="bulk_forbidden")
    if kind == K.ASSIGN:
        assignee = User.objects.filter(pk=id_param(params.get("assignee")), is_active=True).first()
        if assignee is None or not assignee.has_perm("tickets.work_ticket"):
            raise ValidationError(_("Choose someone who works tickets."), code="bulk_assignee")
        return {"assignee": assignee.pk}
    if kind == K.STATUS:
        status = params.get("status")
        if status not in Ticket.Status.values:
            raise ValidationError(_("Choose a status."), code="bulk_status")
        reason = (params.get("reason") or "").strip()[:500]
        if status == Ticket.Status.CANCELLED and not reason:
            raise ValidationError(_("Give a reason for cancelling."), code="bulk_reason")
        return {"status": status, "reason": reason}
    if kind == K.PRIORITY:
        try:
            priority = int(params.get("priority"))
        except (TypeError, ValueError):
            priority = None
        if priority not in Ticket.Priority.values:
            raise ValidationError(_("Choose a priority."), code="bulk_priority")
        return {"priority": priority}
    if kind == K.TAG:
        tag = Tag.objects.filter(pk=id_param(params.get("tag")), active=True).first()
        if tag is None:
            raise ValidationError(_("Choose a tag."), code="bulk_tag")
        return {"tag": tag.pk}
    if kind == K.MACRO:
        from macros.selectors import macros_for

        macro = macros_for(actor).filter(pk=id_param(params.get("macro"))).first()
        if macro is None:
            raise ValidationError(_("Choose a canned reply or macro."), code="bulk_macro")
        return {"macro": macro.pk}
    raise ValidationError(_("Unknown bulk action."), code="bulk_kind")


def bulk_start(*, actor, kind: str, params: dict, ticket_ids, now: datetime | None = None) -> BulkAction:
    """Record the bulk action and run it: now if it is small, else in the background."""
    now = now or timezone.now()
    params = _check(actor=actor, kind=kind, params=params)
    ids = list(dict.fromkeys(int(i) for i in ticket_ids))  # once each, in the order chosen
    if not ids:
        raise ValidationError(_("Select at least one ticket."), code="bulk_empty")
    if len(ids) > MAX_TICKETS:
        raise ValidationError(_("%(n)d tickets selected: at most %(max)d at once. Narrow the filter and run it in "
                                "parts."), code="bulk_too_many", params={"n": len(ids), "max": MAX_TICKETS})
    bulk = BulkAction.objects.create(actor=actor, kind=kind, params=params, ticket_ids=ids, total=len(ids),
                                     created_at=now, touched_at=now)
    return _launch(bulk)


def _launch(bulk: BulkAction) -> BulkAction:
    if bulk.total <= INLINE:
        return bulk_run(bulk_id=bulk.pk)
    from servicedesk.queue import enqueue_on_commit

    from .tasks import bulk_action_run

    enqueue_on_commit(bulk_action_run, bulk.pk)
    return bulk


def bulk_undo(*, bulk: BulkAction, actor, now: datetime | None = None) -> BulkAction:
    """Put back what ``bulk`` changed, ticket by ticket, where the value is still the one it set."""
    now = now or timezone.now()
    if bulk.state != BulkAction.State.DONE or bulk.undo_of_id or bulk.kind in (K.MACRO,):
        raise ValidationError(_("This bulk change cannot be undone."), code="bulk_no_undo")
    if actor.pk != bulk.actor_id and not actor.has_perm("tickets.reassign_ticket"):
        raise ValidationError(_("Only whoever made it, or a supervisor, can undo a bulk change."),
                              code="bulk_undo_forbidden")
    if hasattr(bulk, "undone_by"):
        raise ValidationError(_("This bulk change was undone already."), code="bulk_undone")
    ids = [c["id"] for c in bulk.changed]
    if not ids:
        raise ValidationError(_("Nothing to undo: this bulk change changed no ticket."), code="bulk_nothing")
    from django.db import IntegrityError

    try:
        with transaction.atomic():
            undo = BulkAction.objects.create(actor=actor, kind=bulk.kind, params=bulk.params, ticket_ids=ids,
                                             total=len(ids), undo_of=bulk, created_at=now, touched_at=now)
    except IntegrityError:  # two undo clicks at once: the one-to-one lets one through
        raise ValidationError(_("This bulk change was undone already."), code="bulk_undone") from None
    return _launch(undo)


def _current(kind: str, ticket: Ticket, params: dict):
    if kind == K.ASSIGN:
        return ticket.assignee_id
    if kind == K.STATUS:
        return ticket.status
    if kind == K.PRIORITY:
        return ticket.priority
    if kind == K.TAG:
        return params["tag"] in (ticket.tag_ids or [])
    return None


def _apply(bulk: BulkAction, ticket: Ticket, target, actor, now) -> None:
    """One ticket: the service a person would call on the ticket page."""
    kind, reason = bulk.kind, _reason(bulk)
    if kind == K.ASSIGN:
        assignee = get_user_model().objects.get(pk=target) if target else None
        services.ticket_assign(ticket=ticket, assignee=assignee, actor=actor, reason=reason, now=now)
    elif kind == K.STATUS:
        services.ticket_transition(ticket=ticket, to_status=target, actor=actor, now=now,
                                   reason=" · ".join(p for p in (bulk.params.get("reason", ""), reason) if p))
    elif kind == K.PRIORITY:
        services.ticket_set_priority(ticket=ticket, priority=target, actor=actor, reason=reason, now=now)
    elif kind == K.TAG:
        tag = Tag.objects.get(pk=bulk.params["tag"])
        if target:
            services.ticket_set_tags(ticket=ticket, tags=[tag], actor=actor, now=now, only_add=True)
        else:
            keep = Tag.objects.filter(pk__in=[i for i in ticket.tag_ids if i != tag.pk])
            services.ticket_set_tags(ticket=ticket, tags=list(keep), actor=actor, now=now)
    elif kind == K.MACRO:
        from macros.models import Macro
        from macros.services import macro_apply
        from macros.variables import render, reply_values

        macro = Macro.objects.get(pk=bulk.params["macro"])
        template, language = macro.text_for(ticket.customer.preferred_language or "zh-hans")
        body = render(template, reply_values(ticket, actor=actor, language=language, now=now)) if template else ""
        macro_apply(ticket=ticket, macro=macro, actor=actor, body=body, now=now,
                    client_token=f"bulk-{bulk.pk}-{ticket.pk}")


def _target(bulk: BulkAction, ticket_id: int, befores: dict):
    """What this ticket should become: the asked value, or for an undo the value it had before."""
    if bulk.undo_of_id:
        return befores[ticket_id]
    p = bulk.params
    return {K.ASSIGN: p.get("assignee"), K.STATUS: p.get("status"), K.PRIORITY: p.get("priority"),
            K.TAG: True, K.MACRO: None}[bulk.kind]


def bulk_run(*, bulk_id: int, batch: int = BATCH, now: datetime | None = None) -> BulkAction:
    """Work through the bulk action from its cursor, one batch per transaction, until done.

    Idempotent and safe to run twice at once: the row is locked (SKIP LOCKED on PostgreSQL: a second
    runner leaves it to the first) and the cursor advances with the tickets of its batch.
    """
    while True:
        with transaction.atomic():
            qs = BulkAction.objects.select_related("actor", "undo_of")
            if connection.features.has_select_for_update_skip_locked:
                qs = qs.select_for_update(skip_locked=True, of=("self",))
            else:
                qs = qs.select_for_update()
            bulk = qs.filter(pk=bulk_id).first()
            if bulk is None:  # another runner holds it, or it is gone
                return BulkAction.objects.get(pk=bulk_id)
            if bulk.state == BulkAction.State.DONE:
                return bulk
            moment = now or timezone.now()
            ids = bulk.ticket_ids[bulk.position:bulk.position + batch]
            befores = {c["id"]: c["before"] for c in bulk.undo_of.changed} if bulk.undo_of_id else {}
            afters = {c["id"]: c["after"] for c in bulk.undo_of.changed} if bulk.undo_of_id else {}
            tickets = Ticket.objects.select_related("customer").in_bulk(ids)
            actor = bulk.actor
            for ticket_id in ids:
                ticket = tickets.get(ticket_id)
                if ticket is None:
                    bulk.refused.append({"id": ticket_id, "number": f"#{ticket_id}", "reason": _("No such ticket.")})
                    continue
                before = _current(bulk.kind, ticket, bulk.params)
                if bulk.undo_of_id and before != afters.get(ticket_id):
                    bulk.refused.append({"id": ticket_id, "number": ticket.number, "reason": _(
                        "Changed by someone since the bulk change: left as it is.")})
                    continue
                target = _target(bulk, ticket_id, befores)
                if bulk.kind != K.MACRO and before == target:
                    bulk.unchanged += 1
                    continue
                try:
                    with transaction.atomic():
                        _apply(bulk, ticket, target, actor, moment)
                except ValidationError as e:
                    bulk.refused.append({"id": ticket_id, "number": ticket.number, "reason": " ".join(e.messages)})
                    continue
                if bulk.kind == K.MACRO:
                    bulk.changed.append({"id": ticket_id, "before": None, "after": None})
                else:
                    ticket.refresh_from_db(fields=["assignee", "status", "priority", "tag_ids"])
                    bulk.changed.append({"id": ticket_id, "before": before,
                                         "after": _current(bulk.kind, ticket, bulk.params)})
            bulk.position += len(ids)
            bulk.touched_at = moment
            fields = ["position", "touched_at", "changed", "refused", "unchanged", "state"]
            if bulk.position >= bulk.total:
                bulk.state, bulk.finished_at = BulkAction.State.DONE, moment
                fields.append("finished_at")
            else:
                bulk.state = BulkAction.State.RUNNING
            bulk.save(update_fields=fields)
            if bulk.state == BulkAction.State.DONE:
                return bulk


def bulk_actions_resume(*, now: datetime | None = None, stale_seconds: int = 60) -> int:
    """The safety net (beat, every minute): finish bulk actions whose task never ran or died."""
    now = now or timezone.now()
    ids = list(BulkAction.objects.exclude(state=BulkAction.State.DONE)
               .filter(touched_at__lte=now - timedelta(seconds=stale_seconds))
               .order_by("touched_at").values_list("pk", flat=True)[:20])
    for pk in ids:
        bulk_run(bulk_id=pk)
    return len(ids)
