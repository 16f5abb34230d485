"""Ticket seams → SLA clocks. Sent inside the ticket write's transaction (ticket row locked), so the
clocks change together with the ticket or not at all. Thin: the rules live in sla.services."""
from django.db.models.signals import post_delete, post_save

from . import services
from .models import Target


def on_ticket_opened(sender, *, ticket, now, clocks_from=None, **kwargs):
    clocks = services.clocks_start(ticket=ticket, now=now, clocks_from=clocks_from)
    # The ticket was opened in this transaction: these are all its clocks. Receivers after this one (the
    # customer's acknowledgement reads the promised time) use them without a query (ticket_deadlines).
    ticket._sla_clocks_started = list(clocks or [])


def on_status_changed(sender, *, ticket, old_status, new_status, now, **kwargs):
    services.clocks_on_status_change(ticket=ticket, old_status=old_status, new_status=new_status, now=now)


def on_first_response(sender, *, ticket, now, **kwargs):
    services.clocks_stop(ticket=ticket, now=now, targets=[Target.FIRST_RESPONSE], decide=True)


def on_ticket_changed(sender, *, ticket, field, now, **kwargs):
    # A ticket keeps the targets it was opened under (domain.md §4): priority, tier or channel changes
    # do not move running deadlines (a manager may re-apply the policy). A change of kind can bring
    # targets the ticket did not have (e.g. an inquiry turned complaint): those clocks start now.
    if field == "kind":
        services.clocks_start(ticket=ticket, now=now, only_missing=True)


def on_complaint_milestone(sender, *, ticket, milestone, now, **kwargs):
    services.clocks_on_complaint_milestone(ticket=ticket, milestone=milestone, now=now)


def on_complaint_handoff(sender, *, ticket, handoff, event, now, **kwargs):
    if event == "started":
        services.clocks_start_handoff(handoff=handoff, now=now)
    elif event == "accepted":
        services.clocks_stop_handoff(handoff=handoff, now=now, targets=[Target.DEPT_ACCEPT], decide=True)
    elif event == "findings":
        # Findings may come without a separate acceptance: reporting them answers the hand-off too.
        services.clocks_stop_handoff(handoff=handoff, now=now, targets=[Target.DEPT_ACCEPT, Target.DEPT_FINDINGS],
                                     decide=True)
    elif event == "refused":
        services.clocks_stop_handoff(handoff=handoff, now=now, targets=[Target.DEPT_ACCEPT], decide=True)
        services.clocks_stop_handoff(handoff=handoff, now=now, targets=[Target.DEPT_FINDINGS], decide=False)
    elif event == "withdrawn":
        services.clocks_stop_handoff(handoff=handoff, now=now, targets=None, decide=False)


def _touch_calendar(sender, instance, **kwargs):
    from .calendars import calendar_touch

    calendar_touch(instance.calendar_id)


def connect_calendar_invalidation():
    """Admin or page edits of hours/days renew the calendar's revision (cached copies rebuild)."""
    from .models import BusinessHours, CalendarDay

    for model in (BusinessHours, CalendarDay):
        post_save.connect(_touch_calendar, sender=model, dispatch_uid=f"sla.touch.{model.__name__}.save")
        post_delete.connect(_touch_calendar, sender=model, dispatch_uid=f"sla.touch.{model.__name__}.delete")


def _new_revision(sender, instance, **kwargs):
    import uuid

    instance.revision = uuid.uuid4()


def connect_calendar_revision():
    from django.db.models.signals import pre_save

    from .models import BusinessCalendar

    pre_save.connect(_new_revision, sender=BusinessCalendar, dispatch_uid="sla.calendar.revision")
