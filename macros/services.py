"""Writes for canned replies and macros (issue 19 item 1).

``macro_apply`` is the one way a macro touches a ticket: the reply or note, then the status, priority,
assignee and tags, each through the tickets service a person would use from the ticket page (same
rules, same events), all in one transaction — a refusal anywhere leaves the ticket as it was.
"""
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets import services as ticket_services
from tickets.models import Ticket, TicketReply

from .models import Macro


def can_edit(user, macro: Macro) -> bool:
    """Your own, or the shared ones if you curate them."""
    if macro.owner_id is None:
        return user.has_perm("macros.manage_shared_macros")
    return macro.owner_id == user.pk


def macro_save(*, macro: Macro, actor, tags=(), shared: bool = False) -> Macro:
    """Create or edit: a shared one only by a curator; a personal one belongs to whoever made it."""
    if macro.pk is None:
        if shared and not actor.has_perm("macros.manage_shared_macros"):
            raise PermissionDenied
        macro.owner = None if shared else actor
        macro.created_by = actor
    elif not can_edit(actor, macro):
        raise PermissionDenied
    if macro.assign != Macro.Assign.PERSON:
        macro.assign_to = None
    if not macro.has_text and not (macro.set_status or macro.set_priority is not None or macro.assign or tags):
        raise ValidationError(_("Write a text or choose at least one action: an empty macro does nothing."),
                              code="macro_empty")
    if macro.assign_to is not None and not (macro.assign_to.is_active
                                            and macro.assign_to.has_perm("tickets.work_ticket")):
        raise ValidationError(_("%(name)s cannot work tickets."), code="assignee_not_agent",
                              params={"name": macro.assign_to.get_full_name() or macro.assign_to.get_username()})
    macro.full_clean(exclude=["owner", "created_by"], validate_unique=False, validate_constraints=False)
    with transaction.atomic():
        if Macro.objects.filter(owner=macro.owner, name__iexact=macro.name).exclude(pk=macro.pk).exists():
            raise ValidationError(_("There is already one called “%(name)s”."), code="macro_name_taken",
                                  params={"name": macro.name})
        macro.save()
        macro.add_tags.set(tags)
    return macro


def macro_retire(*, macro: Macro, actor) -> None:
    """Off the picker for good; its use count and the replies it wrote stay."""
    if not can_edit(actor, macro):
        raise PermissionDenied
    Macro.objects.filter(pk=macro.pk).update(active=False)


def macro_apply(*, ticket: Ticket, macro: Macro, actor, body: str = "", public: bool | None = None,
                client_token: str | None = None, expected_version: int | None = None,
                now: datetime | None = None) -> dict:
    """Apply ``macro`` to ``ticket`` as ``actor``: the (edited) text, then the macro's actions.

    Returns what was done, for the page's message: {"reply": TicketReply|None, "status": …,
    "priority": …, "assignee": user|None, "tags": [names added]}. A status the ticket cannot move to
    now, an assignee who may no longer work tickets, a stale page: a ValidationError, nothing saved.
    """
    from .selectors import macros_for

    now = now or timezone.now()
    if not macro.active or not macros_for(actor).filter(pk=macro.pk).exists():
        raise ValidationError(_("This canned reply is no longer available to you."), code="macro_gone")
    body = (body or "").strip()
    if macro.has_text and not body:
        raise ValidationError(_("Write something before sending."), code="required")
    if (macro.set_status or macro.set_priority is not None or macro.assign) and not actor.has_perm("tickets.work_ticket"):
        raise ValidationError(_("This macro changes the ticket's status, priority or assignee, which your role "
                                "cannot do. Use a canned reply without actions."), code="macro_forbidden")
    done = {"reply": None, "status": "", "priority": None, "assignee": None, "tags": []}
    token = (client_token or "").strip()[:64]
    if token:
        first = TicketReply.objects.filter(ticket=ticket, client_token=token).first()
        if first is not None:  # a double-click: the first submit applied the macro already
            done["reply"] = first
            return done
    with transaction.atomic():
        version = expected_version
        if body:
            reply = ticket_services.ticket_reply(
                ticket=ticket, author=actor, body=body, public=macro.public if public is None else public,
                client_token=client_token, expected_version=version, now=now)
            done["reply"] = reply
            version = None  # the reply checked the page's version and bumped it; the rest follows on
        elif version is not None:
            ticket_services._lock(ticket, version)  # a stale page is refused even with no text to send
            version = None
        ticket.refresh_from_db()
        if macro.set_status and ticket.status != macro.set_status:
            ticket_services.ticket_transition(ticket=ticket, to_status=macro.set_status, actor=actor, now=now,
                                              reason=_("Macro “%(name)s”") % {"name": macro.name})
            done["status"] = macro.set_status
        if macro.set_priority is not None and ticket.priority != macro.set_priority:
            ticket_services.ticket_set_priority(ticket=ticket, priority=macro.set_priority, actor=actor, now=now,
                                                reason=_("Macro “%(name)s”") % {"name": macro.name})
            done["priority"] = macro.set_priority
        if macro.assign:
            assignee = actor if macro.assign == Macro.Assign.ME else macro.assign_to
            if ticket.assignee_id != assignee.pk:
                ticket_services.ticket_assign(ticket=ticket, assignee=assignee, actor=actor, now=now,
                                              reason=_("Macro “%(name)s”") % {"name": macro.name})
                done["assignee"] = assignee
        tags = list(macro.add_tags.all())
        if tags:
            added, _removed = ticket_services.ticket_set_tags(ticket=ticket, tags=tags, actor=actor, now=now,
                                                              only_add=True)
            done["tags"] = [t.name for t in added]
        Macro.objects.filter(pk=macro.pk).update(use_count=F("use_count") + 1, last_used_at=now)
    return done
