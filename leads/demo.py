"""Demo leads: a few of this run's open inquiries and repair requests recorded as lost or invalid, two confirmed
by the supervisor (or a manager), one waiting in the "to confirm" queue. Only tickets made in this run
(options["demo_tickets"]): a second load makes no tickets and records nothing."""
from datetime import timedelta

from django.utils import timezone

from tickets.models import Ticket

from . import services

PLAN = [("lost", "price", "别家报价便宜三百元", True), ("invalid", "not_planning", "暂时不装了，明年再说", True),
        ("lost", "competitor", "已经买了别的牌子", False)]


def load(*, stdout=None, options=None, now=None):
    ids = (options or {}).get("demo_tickets") or set()
    now = now or timezone.now()
    tickets = list(Ticket.objects.filter(pk__in=ids, kind__in=services.LEAD_KINDS, status__in=Ticket.OPEN_STATUSES,
                                         assignee__isnull=False, assignee__is_active=True, lead_outcome__isnull=True)
                   .select_related("assignee", "asset").order_by("pk"))
    done = 0
    for ticket, (outcome, reason, words, confirm) in zip(
            [t for t in tickets if services.can_record(user=t.assignee, ticket=t)], PLAN):
        row = services.lead_record(ticket=ticket, by=ticket.assignee, outcome=outcome, reason=reason,
                                   customer_words=words, now=now - timedelta(days=3))
        if confirm:
            confirmer = next((u for u in services.confirmers_for(ticket.assignee)
                              if services.can_confirm(user=u, outcome=row)), None)
            if confirmer is not None:
                services.lead_confirm(outcome=row, by=confirmer, now=now - timedelta(days=2))
        done += 1
    if stdout is not None and done:
        stdout.write(f"Leads: {done} requests recorded as lost or invalid.")
