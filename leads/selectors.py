"""Reads for lost and invalid leads: the open-requests picker, the "to confirm" queue and the loss analysis.
Each runs a fixed number of queries whatever the data size."""
from __future__ import annotations

from datetime import date

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncMonth

from dispatch.models import Quote
from servicedesk import roles
from tickets.models import Ticket

from .models import LeadOutcome
from .services import LEAD_KINDS

S = Ticket.Status
PICKABLE = (*Ticket.OPEN_STATUSES, S.RESOLVED)


def open_requests(*, user, mine: bool, number: str = "") -> QuerySet:
    """Inquiries and repair requests still open (or resolved, not yet closed) without a recorded outcome,
    newest first; with an unaccepted quote flagged (a quote refused is the typical lost lead)."""
    qs = (Ticket.objects.filter(kind__in=LEAD_KINDS, status__in=PICKABLE)
          .exclude(Exists(LeadOutcome.objects.filter(ticket=OuterRef("pk")).exclude(state=LeadOutcome.State.VOIDED))))
    if mine or not user.has_perm("leads.confirm_lead"):
        qs = qs.filter(Q(assignee=user) | Q(assignee__isnull=True, created_by=user))
    if number:
        qs = qs.filter(number__icontains=number.strip()[:20])
    return qs.order_by("-created_at", "-id")


def open_request_rows():
    return Ticket.objects.select_related("customer", "assignee", "asset").annotate(
        open_quote=Exists(Quote.objects.filter(work_order__ticket=OuterRef("pk"), accepted_at__isnull=True)))


def to_confirm(*, user) -> QuerySet:
    """Pending outcomes this person may confirm: a manager all but their own, a supervisor their team's."""
    qs = LeadOutcome.objects.filter(state=LeadOutcome.State.PENDING).exclude(recorded_by=user)
    if roles.MANAGER not in roles.user_roles(user):
        qs = qs.filter(recorded_by__profile__team__supervisor=user)
    return qs.select_related("ticket", "ticket__customer", "recorded_by").order_by("recorded_at", "id")


def mine_returned(*, user) -> QuerySet:
    return (LeadOutcome.objects.filter(state=LeadOutcome.State.RETURNED, recorded_by=user)
            .select_related("ticket").order_by("recorded_at", "id"))


def confirmed(*, start: date | None = None, end: date | None = None, outcome: str = "", reason: str = "",
              staff_id: int | None = None, product: str = "") -> QuerySet:
    """Only confirmed outcomes count (issue 17 item 8); the month is the month of the second confirmation
    (`start` inclusive, `end` exclusive, local dates turned into moments by the caller)."""
    qs = LeadOutcome.objects.filter(state=LeadOutcome.State.CONFIRMED)
    if start is not None:
        qs = qs.filter(confirmed_at__gte=start)
    if end is not None:
        qs = qs.filter(confirmed_at__lt=end)
    if outcome:
        qs = qs.filter(outcome=outcome)
    if reason:
        qs = qs.filter(reason=reason)
    if staff_id:
        qs = qs.filter(recorded_by_id=staff_id)
    if product:
        qs = qs.filter(product__icontains=product[:120])
    return qs


def loss_analysis(qs: QuerySet, *, tz) -> dict:
    """Counts of confirmed outcomes by reason, staff, product and month: four GROUP BY queries."""
    reasons = {(r["outcome"], r["reason"]): r["n"] for r in qs.values("outcome", "reason").annotate(n=Count("id"))}
    by_reason = [{"outcome": LeadOutcome.Outcome(o).label, "reason": LeadOutcome.Reason(r).label, "code": r,
                  "count": reasons[(o, r)]}
                 for o, rs in LeadOutcome.REASONS_BY_OUTCOME.items() for r in rs if (o, r) in reasons]
    by_staff = [{"name": (f"{r['recorded_by__first_name']} {r['recorded_by__last_name']}".strip()
                          or r["recorded_by__username"]), "id": r["recorded_by_id"], "lost": r["lost"],
                 "invalid": r["invalid"], "count": r["n"]}
                for r in qs.values("recorded_by_id", "recorded_by__username", "recorded_by__first_name",
                                   "recorded_by__last_name")
                .annotate(n=Count("id"), lost=Count("id", filter=Q(outcome="lost")),
                          invalid=Count("id", filter=Q(outcome="invalid"))).order_by("-n", "recorded_by__username")]
    by_product = [{"product": r["product"], "lost": r["lost"], "invalid": r["invalid"], "count": r["n"]}
                  for r in qs.values("product").annotate(n=Count("id"), lost=Count("id", filter=Q(outcome="lost")),
                                                         invalid=Count("id", filter=Q(outcome="invalid")))
                  .order_by("-n", "product")]
    by_month = [{"month": r["m"].date() if hasattr(r["m"], "date") else r["m"], "lost": r["lost"],
                 "invalid": r["invalid"], "count": r["n"]}
                for r in qs.annotate(m=TruncMonth("confirmed_at", tzinfo=tz)).values("m")
                .annotate(n=Count("id"), lost=Count("id", filter=Q(outcome="lost")),
                          invalid=Count("id", filter=Q(outcome="invalid"))).order_by("m")]
    return {"by_reason": by_reason, "by_staff": by_staff, "by_product": by_product, "by_month": by_month,
            "total": sum(r["count"] for r in by_reason)}
