"""Reads for canned replies and macros: which ones a person may use, and the picker's list."""
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from tickets.models import Ticket

from .models import Macro

PICKER_LIMIT = 12


def macros_for(user) -> QuerySet:
    """The shared ones and the person's own, active."""
    return Macro.objects.filter(Q(owner__isnull=True) | Q(owner=user.pk), active=True)


def macro_search(user, q: str = "") -> QuerySet:
    """Best first: a name that starts with what was typed, then the most used, then by name."""
    qs = macros_for(user)
    q = " ".join((q or "").split())[:80]
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(text_zh__icontains=q) | Q(text_en__icontains=q))
        qs = qs.annotate(starts=Case(When(name__istartswith=q, then=Value(0)), default=Value(1),
                                     output_field=IntegerField())).order_by("starts", "-use_count", "name", "id")
    else:
        qs = qs.order_by("-use_count", "name", "id")
    return qs.prefetch_related("add_tags").select_related("assign_to")


def action_summary(macro: Macro) -> list[str]:
    """The macro's actions in words ("status → Waiting on customer", "tag +billing"), from prefetched tags."""
    out = []
    if macro.set_status:
        out.append(_("status → %(s)s") % {"s": Ticket.Status(macro.set_status).label})
    if macro.set_priority is not None:  # 0 is urgent
        out.append(_("priority → %(p)s") % {"p": Ticket.Priority(macro.set_priority).label})
    if macro.assign == Macro.Assign.ME:
        out.append(_("assign to me"))
    elif macro.assign == Macro.Assign.PERSON and macro.assign_to is not None:
        out.append(_("assign to %(name)s") % {"name": macro.assign_to.get_full_name()
                                              or macro.assign_to.get_username()})
    for tag in macro.add_tags.all():
        out.append(_("tag +%(t)s") % {"t": tag.name})
    return out


def picker(user, q: str = "", *, limit: int = PICKER_LIMIT) -> dict:
    """The reply box's list: at most ``limit`` rows, and says so when there are more (never cut silently)."""
    rows = list(macro_search(user, q)[:limit + 1])
    more = len(rows) > limit
    return {"rows": rows[:limit], "more": more}
