"""Reads for tickets: the list and queue (fixed query counts, no COUNT(*) over the table), the page."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Count, F, Q, QuerySet

from customers.models import Customer
from servicedesk.compiled import compiled_objects
from servicedesk.shared_memo import SharedMemo

from .models import Complaint, Ticket, TicketAttachment, TicketEvent, TicketReply

LIST_FIELDS = (
    "id", "number", "kind", "status", "priority", "channel", "subject", "created_at", "updated_at",
    "first_response_at", "sla_due_at", "version", "customer_id", "assignee_id", "team_id",
    "is_key_account", "first_inquiry_owner_id",
    "customer__name", "customer__tier", "customer__is_key_account",
    "assignee__username", "assignee__first_name", "assignee__last_name", "team__name", "team__name_en",
    "complaint__stage",  # complaints show their stage in the queue and the list
    "first_inquiry_owner__username", "first_inquiry_owner__first_name", "first_inquiry_owner__last_name",
)
FULL_NUMBER_RE = re.compile(r"^[A-Za-z]{2}-\d{4}-\d{6}$")
NUMBER_RE = re.compile(r"^[A-Za-z]{2}-?\d{0,4}-?\d*$")
CUSTOMER_MATCH_CAP = 200  # a search naming more customers than this is too vague to OR them all in


def ticket_list_base() -> QuerySet:
    return (Ticket.objects.select_related("customer", "assignee", "team", "complaint", "first_inquiry_owner")
            .only(*LIST_FIELDS))


def ticket_search(qs: QuerySet, text: str) -> QuerySet:
    """Number, subject or customer name. Backed by trigram GIN indexes on PostgreSQL.

    The customer-name part is resolved first (one query, capped) so the ticket query is a plain
    OR of indexable conditions (BitmapOr) instead of a join the planner cannot use an index for.
    """
    text = (text or "").strip()[:100]
    if not text:
        return qs
    if FULL_NUMBER_RE.match(text):
        return qs.filter(number=text.upper())  # read out by the customer: the unique index, one row
    if NUMBER_RE.match(text) and any(ch.isdigit() for ch in text):
        return qs.filter(number__icontains=text.upper())
    customer_ids = list(
        Customer.objects.filter(name__icontains=text).order_by().values_list("pk", flat=True)[:CUSTOMER_MATCH_CAP]
    )
    cond = Q(subject__icontains=text) | Q(number__icontains=text)
    if customer_ids:
        cond |= Q(customer_id__in=customer_ids)
    return qs.filter(cond)


def user_team_id(user) -> int | None:
    profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
    return profile.team_id if profile is not None else None


QUEUE_TABS = ("mine", "team", "unassigned", "first_inquiry")


QUEUE_SORTS = {
    # Default: the next SLA deadline first (indexed Ticket.sla_due_at; none running → last), then priority.
    # Key accounts first at equal urgency (issue 17, green channel): the denormalised Ticket.is_key_account
    # is the queue indexes' second column, so the order stays index-driven with no join.
    "due": (F("sla_due_at").asc(nulls_last=True), F("is_key_account").desc(), "priority", "created_at", "id"),
    "priority": ("priority", F("is_key_account").desc(), "created_at", "id"),
}


def queue_tickets(*, user, tab: str, sort: str = "due") -> QuerySet:
    """The agent's work queue: open tickets, the next SLA deadline first (or most urgent first, then oldest);
    the first-inquiry tab also keeps resolved tickets (Ticket.FIRST_INQUIRY_STATUSES)."""
    statuses = Ticket.FIRST_INQUIRY_STATUSES if tab == "first_inquiry" else Ticket.OPEN_STATUSES
    qs = ticket_list_base().filter(status__in=statuses)
    if tab == "mine":
        qs = qs.filter(assignee=user)
    elif tab == "team":
        team_id = user_team_id(user)
        qs = qs.filter(team_id=team_id) if team_id else qs.none()
    elif tab == "first_inquiry":
        # 首问责任制: the owner follows the request until it closes (resolved stays), whoever works it now.
        qs = qs.filter(first_inquiry_owner=user)
    else:
        qs = qs.filter(assignee__isnull=True)
    return qs.order_by(*QUEUE_SORTS.get(sort, QUEUE_SORTS["due"]))


def capped_count(qs: QuerySet, cap: int = 100) -> int:
    """COUNT over at most `cap` rows: the queue tabs show "99+" rather than scanning everything."""
    return qs.order_by()[:cap].count()


@dataclass
class SlicePage:
    """A page without a total count (COUNT(*) over a million rows on every page view is the slow part).

    Fetches one row more than it shows to know whether there is a next page. Quacks like Django's Page
    for `_pagination.html`.
    """

    object_list: list
    number: int
    has_next: bool
    per_page: int = 25
    extra: dict = field(default_factory=dict)

    def has_previous(self):
        return self.number > 1

    def has_other_pages(self):
        return self.has_next or self.number > 1

    def next_page_number(self):
        return self.number + 1

    def previous_page_number(self):
        return self.number - 1

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    @property
    def start_index(self):
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0

    @property
    def end_index(self):
        return self.start_index + len(self.object_list) - 1 if self.object_list else 0


def slice_page(qs: QuerySet, page: str | int | None, per_page: int = 25, max_page: int = 400,
               rows: Callable[[], QuerySet] | None = None) -> SlicePage:
    """One page of `qs`. With `rows` (the queryset that loads a displayed row: its joins), two queries:
    the page's ids from the filtered table alone, in order, then those rows by primary key.

    The id query has no join to choose a plan around, so the planner starts from the tickets table
    and an index on it whether or not it has statistics (PostgreSQL: the open-list partial indexes,
    in page order; SQLite: an index-only read of the ids, sorted). With ANALYZE statistics, SQLite
    otherwise started a one-query list from the customers table and sorted every open ticket's full
    row afterwards (84 → 216 ms at 100,000 tickets, issue 14).
    """
    try:
        number = max(1, min(int(page or 1), max_page))
    except (TypeError, ValueError):
        number = 1
    start = (number - 1) * per_page
    if rows is None:
        found = list(qs[start:start + per_page + 1])
        return SlicePage(object_list=found[:per_page], number=number, has_next=len(found) > per_page,
                         per_page=per_page)
    ids = list(qs.values_list("pk", flat=True)[start:start + per_page + 1])
    page_ids = ids[:per_page]
    # The rows' joins, compiled once per process for each page length (servicedesk.compiled); no query
    # for an empty page.
    key = f"slice_page.{rows.__module__}.{rows.__qualname__}.{len(page_ids)}"
    by_id = {row.pk: row for row in (compiled_objects(key, lambda *pks: rows().filter(pk__in=pks), *page_ids)
                                     if page_ids else ())}
    # A row deleted between the two reads is simply not shown.
    found = [by_id[pk] for pk in ids[:per_page] if pk in by_id]
    return SlicePage(object_list=found, number=number, has_next=len(ids) > per_page, per_page=per_page)


def _holds(codename: str) -> Q:
    """A user holds the tickets permission `codename`: through a group, directly, or as a superuser. The one
    definition behind the assignment choices, the first-inquiry candidates and the list's filter choices
    (EXISTS, not joins: no duplicate rows, no DISTINCT)."""
    from django.contrib.auth.models import Group
    from django.db.models import Exists, OuterRef

    User = get_user_model()
    perm = Permission.objects.filter(content_type__app_label="tickets", codename=codename)
    return (Q(Exists(Group.objects.filter(user=OuterRef("pk"), permissions__in=perm)))
            | Q(Exists(User.user_permissions.through.objects.filter(user=OuterRef("pk"), permission__in=perm)))
            | Q(is_superuser=True))


def _staff():
    return get_user_model().objects.filter(is_active=True).order_by("first_name", "username")


def ticket_workers():
    """Active users who may work tickets (assignment choices). One query."""
    return _staff().filter(_holds("work_ticket"))


def first_inquiry_candidates():
    """Who can own a first inquiry: active staff who can see tickets (front desk included, technicians and
    system accounts not — system accounts are inactive). One query."""
    return _staff().filter(_holds("view_ticket"))


def _staff_choices_query(_unused=None):
    from django.db.models import BooleanField, ExpressionWrapper

    works, sees = _holds("work_ticket"), _holds("view_ticket")
    return (_staff().filter(works | sees)
            .annotate(works=ExpressionWrapper(works, output_field=BooleanField()),
                      sees=ExpressionWrapper(sees, output_field=BooleanField()))
            .values_list("pk", get_user_model().USERNAME_FIELD, "works", "sees"))


def ticket_staff_choices() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The ticket list's filter choices as (pk, username) pairs, both from one query: the assignees
    (ticket_workers) and the first-inquiry owners (first_inquiry_candidates), in their order. Read on
    every list page; its SQL has no per-call values and is compiled once per process (the ORM's build
    cost ~1 ms a page, the query itself a tenth of that)."""
    from servicedesk.compiled import compiled_rows

    User = get_user_model()
    workers, owners = [], []
    for pk, username, work, see in compiled_rows("tickets.staff_choices", User, _staff_choices_query):
        if work:
            workers.append((str(pk), username))
        if see:
            owners.append((str(pk), username))
    return workers, owners


@dataclass
class TicketPage:
    ticket: Ticket
    timeline: list
    attachments: list
    users: dict
    complaint: Complaint | None


def ticket_detail(*, pk: int) -> Ticket:
    return (Ticket.objects.select_related("customer", "customer__region", "asset", "assignee", "team", "created_by",
                                          "fault_cause", "first_inquiry_owner")
            .prefetch_related("customer__phones")
            .get(pk=pk))


def _attachments(ticket_id):
    return TicketAttachment.objects.filter(ticket_id=ticket_id)


def ticket_attachments(ticket: Ticket) -> list:
    """The ticket's files in their model order (the ticket page: SQL compiled once per process)."""
    return compiled_objects("tickets.attachments", _attachments, ticket.pk)


# The timeline names people (get_full_name, username) and reads nothing else of them: their password hash,
# e-mail, flags and two more moments to convert per entry are left in the database (a 50-reply ticket: 100
# datetime conversions less). Same for what a reply's delivery line does not show.
_PERSON_UNUSED = ("password", "last_login", "is_superuser", "email", "is_staff", "is_active", "date_joined")


def _timeline_events(ticket_id):
    return (TicketEvent.objects.filter(ticket_id=ticket_id).exclude(kind__in=("reply", "note"))
            .select_related("actor").defer(*(f"actor__{name}" for name in _PERSON_UNUSED))
            .order_by("created_at", "id"))


def _timeline_replies(ticket_id):
    return (TicketReply.objects.filter(ticket_id=ticket_id).select_related("author")
            .defer("client_token", "delivered_to", "delivery_attempts", "delivered_at",
                   *(f"author__{name}" for name in _PERSON_UNUSED))
            .order_by("created_at", "id"))


def ticket_timeline(ticket: Ticket) -> tuple[list, dict]:
    """Events, public replies and internal notes merged in time order; plus the users they name.

    Three queries whatever the length: events (with actor), replies (with author), named users.
    Reply/note events are not shown twice: the reply row itself is the entry.
    """
    events = compiled_objects("tickets.timeline_events", _timeline_events, ticket.pk)
    replies = compiled_objects("tickets.timeline_replies", _timeline_replies, ticket.pk)
    user_ids = set()
    for ev in events:
        if ev.field == "assignee" or ev.kind in ("assigned", "taken"):
            for side in (ev.before, ev.after):
                if isinstance(side, dict) and side.get("assignee"):
                    user_ids.add(side["assignee"])
    # Always one query (even with no names to look up) so the page's count does not depend on history.
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=user_ids or [0])}
    entries = [("event", ev.created_at, ev.pk, ev) for ev in events] + [
        ("reply", r.created_at, r.pk, r) for r in replies
    ]
    entries.sort(key=lambda e: (e[1], 0 if e[0] == "event" else 1, e[2]))
    return entries, users


def complaint_staff_choices() -> QuerySet:
    """Everyone a complaint can name as "the staff member complained about": every active staff member
    in a role — technicians included (they meet customers on site) — not only those who work tickets."""
    from servicedesk import roles

    User = get_user_model()
    return (User.objects.filter(is_active=True)
            .filter(Q(groups__name__in=roles.ROLE_ORDER) | Q(is_superuser=True))
            .distinct().order_by("first_name", "username"))


def active_team_supervisor(ticket: Ticket | None):
    """The supervisor of the ticket's team while their account is active, else None."""
    if ticket is not None and ticket.team_id and ticket.team.supervisor_id and ticket.team.supervisor.is_active:
        return ticket.team.supervisor
    return None


def ticket_supervisors(ticket: Ticket | None) -> list:
    """The supervisor(s) of a ticket: its team's supervisor while their account is active, else every
    active supervisor. The one rule for SLA escalations, complaint decisions and low survey scores."""
    from servicedesk import roles

    supervisor = active_team_supervisor(ticket)
    if supervisor is not None:
        return [supervisor]
    return list(get_user_model().objects.filter(groups__name=roles.SUPERVISOR, is_active=True).order_by("pk"))


def complaint_deciders(ticket: Ticket) -> list:
    """Who decides this complaint: its team's supervisor, else every active supervisor (domain.md §3)."""
    return ticket_supervisors(ticket)


def complaints_awaiting_decision(*, user) -> QuerySet:
    """The supervisor's "awaiting my decision" list: investigated complaints in their teams (or in no
    supervised team, which every supervisor may decide), longest waiting first. Served by complaint_stage_idx."""
    qs = (Complaint.objects.filter(stage=Complaint.Stage.AWAITING_DECISION)
          .select_related("ticket", "ticket__customer", "ticket__assignee", "ticket__team", "department",
                          "investigated_by", "staff_member"))
    return _decider_scope(qs, user).order_by("investigated_at", "ticket_id")


def _decider_scope(qs, user):
    """Complaints (through `ticket__`) a supervisor decides on: their teams', and those of no supervised team."""
    if user.is_superuser:
        return qs
    return qs.filter(Q(ticket__team__supervisor=user) | Q(ticket__team__isnull=True)
                     | Q(ticket__team__supervisor__isnull=True))


def complaint_register(*, filters: dict | None = None) -> QuerySet:
    return (Complaint.objects.select_related("ticket", "ticket__customer", "department", "decided_by",
                                             "staff_member", "ticket__assignee")
            .order_by("-ticket__created_at", "-ticket_id"))


def promised_first_response(ticket: Ticket) -> datetime | None:
    """The first-response deadline from the SLA area, when it has one for this ticket."""
    try:
        from sla.selectors import ticket_deadlines
    except ImportError:
        return None
    try:
        return ticket_deadlines(ticket).get("first_response")
    except Exception:  # the SLA area is optional here: the page falls back to the department's rule
        return None


# --- Shared ticket figures (the reports call these: one definition of opened / resolved / closed) ---
def ticket_flow_counts(*, start: datetime, end: datetime) -> dict:
    """Conditional counts for an aggregate or a grouped query: tickets opened (created), resolved and
    closed in [start, end), each by its own timestamp."""
    from django.db.models import Count

    return {
        "opened": Count("id", filter=Q(created_at__gte=start, created_at__lt=end)),
        "resolved": Count("id", filter=Q(resolved_at__gte=start, resolved_at__lt=end)),
        "closed": Count("id", filter=Q(closed_at__gte=start, closed_at__lt=end)),
    }


FLOW_KEYS = ("opened", "resolved", "closed")


def _flow_hour(moment: datetime) -> str | None:
    """The rollup's hour key of a period boundary, or None when the boundary is not on a whole UTC hour."""
    utc = moment.astimezone(dt_timezone.utc)
    if (utc.minute, utc.second, utc.microsecond) != (0, 0, 0):
        return None
    return utc.strftime("%Y-%m-%d %H")


def ticket_flow_rows(*, current: tuple[datetime, datetime], previous: tuple[datetime, datetime], team=None,
                     source: str = "auto") -> list[dict]:
    """Tickets opened, resolved and closed (ticket_flow_counts' definition: each by its own timestamp, grouped by
    the ticket's kind and priority now, all statuses) in two periods, one row per kind and priority, ordered:
    {kind, priority, opened, resolved, closed, prev_opened, prev_resolved, prev_closed}. One query.

    From the hourly rollup the database keeps (TicketFlowDelta) when both periods start and end on whole UTC
    hours; else — or with source="direct" — counted from the tickets. The two give the same rows (tested both
    ways on the same data), except that the rollup may also return a kind and priority whose counts are all 0."""
    from django.db import connection
    from django.db.models import IntegerField, Sum
    from django.db.models.functions import Coalesce

    from .models import TicketFlowDelta

    team_id = getattr(team, "pk", team)
    hours = [_flow_hour(m) for m in (*current, *previous)]
    use_rollup = source == "rollup" or (source == "auto" and None not in hours
                                        and connection.vendor in ("sqlite", "postgresql"))
    if use_rollup:
        if None in hours:
            raise ValueError("the ticket-flow rollup counts whole UTC hours: these periods are not on them")
        cur_from, cur_to, prev_from, prev_to = hours
        if prev_to == cur_from:  # the usual case, back to back: one range of the hour index
            qs = TicketFlowDelta.objects.filter(hour__gte=prev_from, hour__lt=cur_to)
        else:
            qs = TicketFlowDelta.objects.filter(Q(hour__gte=cur_from, hour__lt=cur_to)
                                                | Q(hour__gte=prev_from, hour__lt=prev_to))
        if team_id is not None:
            qs = qs.filter(team_key=team_id)

        def total(key, since, until):
            return Coalesce(Sum(key, filter=Q(hour__gte=since, hour__lt=until)), 0, output_field=IntegerField())

        # (an annotation may not take a field's own name: n_ first, the row's keys after)
        sums = {**{f"n_{k}": total(k, cur_from, cur_to) for k in FLOW_KEYS},
                **{f"n_prev_{k}": total(k, prev_from, prev_to) for k in FLOW_KEYS}}
        return [{"kind": r["kind"], "priority": r["priority"], **{k[2:]: r[k] for k in sums}}
                for r in qs.values("kind", "priority").annotate(**sums).order_by("kind", "priority")]
    qs = Ticket.objects.all() if team_id is None else Ticket.objects.filter(team_id=team_id)
    prev_flow = {f"prev_{k}": v for k, v in ticket_flow_counts(start=previous[0], end=previous[1]).items()}
    return list(
        qs.filter(tickets_touched(start=current[0], end=current[1]) | tickets_touched(start=previous[0], end=previous[1]))
        .values("kind", "priority").annotate(**ticket_flow_counts(start=current[0], end=current[1]), **prev_flow)
        .order_by("kind", "priority")
    )


def response_time_percentiles(*, ranges: dict[str, tuple[datetime, datetime]], team=None,
                              ps: tuple[float, ...] = (0.5, 0.9)) -> dict[str, dict[str, dict[float, timedelta]]]:
    """Nearest-rank percentiles (the value of rank ceil(p·n), as percentile_disc) of the first-response time
    (first_response_at − created_at, tickets first answered in the range) and the resolution time (resolved_at −
    created_at, tickets resolved in the range), for each named [start, end) range:
    {name: {"first_response": {p: timedelta}, "resolution": {...}}} (an empty dict where no ticket counts).

    PostgreSQL only, in two queries whatever the volume: the bucket counts (TicketDurationCount for the whole UTC days
    of the ranges, the tickets themselves for the hours at their ends) say which bucket holds each rank and how many
    smaller times precede it; then each such bucket's tickets in the range are read in order of the time through
    the measure's index, one row each (OFFSET). Exactly percentile_disc's answer (tested against it)."""
    import math

    from django.db import connection

    from . import duration_sql as dsql

    team_id = getattr(team, "pk", team)
    names = {0: "first_response", 1: "resolution"}
    branches, params = [], []
    for key, (start, end) in ranges.items():
        days, edges = dsql.utc_days(start, end)
        if days:
            branches.append(f"SELECT %s, measure, bucket, n FROM {dsql.TABLE} WHERE day >= %s AND day < %s"
                            + (" AND team_key = %s" if team_id is not None else ""))
            params += [key, *days, *([team_id] if team_id is not None else [])]
        for m, col in dsql.MEASURES.items():
            for a, b in edges:
                branches.append(f"SELECT %s, {m}, {dsql.bucket_sql(m)}, 1 FROM {dsql.TICKETS} "
                                f"WHERE {col} >= %s AND {col} < %s" + (" AND team_id = %s" if team_id is not None else ""))
                params += [key, a, b, *([team_id] if team_id is not None else [])]
    out = {key: {name: {} for name in names.values()} for key in ranges}
    if not branches:
        return out
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT r, m, b, SUM(n) FROM ({' UNION ALL '.join(branches)}) AS c(r, m, b, n) "
                       f"GROUP BY 1, 2, 3 HAVING SUM(n) <> 0 ORDER BY 1, 2, 3", params)
        counts: dict[tuple, list] = {}
        for key, m, bucket, n in cursor.fetchall():
            counts.setdefault((key, m), []).append((bucket, n))
        picks, branches, params = [], [], []
        for (key, m), buckets in counts.items():
            total = sum(n for _b, n in buckets)
            for p in ps:
                rank, before = math.ceil(p * total), 0
                for bucket, n in buckets:
                    if before + n >= rank:
                        break
                    before += n
                start, end = ranges[key]
                col = dsql.MEASURES[m]
                branches.append(f"(SELECT {len(picks)}, {col} - created_at FROM {dsql.TICKETS} WHERE {dsql.bucket_sql(m)} = %s "
                                f"AND {col} >= %s AND {col} < %s" + (" AND team_id = %s" if team_id is not None else "")
                                + " ORDER BY 2 OFFSET %s LIMIT 1)")
                params += [bucket, start, end, *([team_id] if team_id is not None else []), rank - before - 1]
                picks.append((key, names[m], p))
        if branches:
            cursor.execute(" UNION ALL ".join(branches), params)
            for i, value in cursor.fetchall():
                key, name, p = picks[i]
                out[key][name][p] = value
    return out


def complaint_count_rows(*, ranges: dict[str, tuple[datetime, datetime]], team=None) -> list[dict]:
    """Complaints on complaint tickets opened in each named [start, end) range, by category and responsible
    department: {range, category, department__name, department__name_en, n, inv_n, inv_sum, sol_n, sol_sum} — the
    count, how many were investigated and answered, and the total time from the ticket's opening to each (None when
    none was). PostgreSQL only, one query: TicketComplaintCount for the ranges' whole UTC days, the complaints
    themselves for the hours at their ends (tickets/complaint_sql.py). The same rows as the grouped count over the
    complaints (reports.selectors complaints_section's other source, tested against it)."""
    from django.db import connection

    from . import complaint_sql as csql
    from .duration_sql import utc_days
    from .models import Department

    team_id = getattr(team, "pk", team)
    branches, params = [], []
    for key, (start, end) in ranges.items():
        days, edges = utc_days(start, end)
        if days:
            branches.append(f"SELECT %s, category, department_key, n, inv_n, inv_us, sol_n, sol_us FROM {csql.TABLE} "
                            f"WHERE day >= %s AND day < %s" + (" AND team_key = %s" if team_id is not None else ""))
            params += [key, *days, *([team_id] if team_id is not None else [])]
        for a, b in edges:
            parts = ", ".join(f"CASE WHEN c.{col} IS NULL THEN 0 ELSE 1 END, "
                              f"coalesce({csql.micros(f'c.{col}', 't.created_at')}, 0)"
                              for col in ("investigated_at", "solution_sent_at"))
            branches.append(f"SELECT %s, c.category, coalesce(c.department_id, 0), 1, {parts} "
                            f"FROM {csql.COMPLAINTS} AS c JOIN {csql.TICKETS} AS t ON t.id = c.ticket_id "
                            f"WHERE t.kind = %s AND t.created_at >= %s AND t.created_at < %s"
                            + (" AND t.team_id = %s" if team_id is not None else ""))
            params += [key, csql.KIND, a, b, *([team_id] if team_id is not None else [])]
    if not branches:
        return []
    sql = (f"SELECT x.r, x.category, d.name, d.name_en, SUM(x.n), SUM(x.inv_n), SUM(x.inv_us), SUM(x.sol_n), "
           f"SUM(x.sol_us) FROM ({' UNION ALL '.join(branches)}) AS x (r, category, department_key, n, inv_n, inv_us, "
           f"sol_n, sol_us) LEFT JOIN {Department._meta.db_table} AS d "
           f"ON d.id = x.department_key GROUP BY x.r, x.category, x.department_key, d.name, d.name_en "
           f"HAVING SUM(x.n) <> 0")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [{"range": key, "category": category, "department__name": name, "department__name_en": name_en,
                 "n": int(n), "inv_n": int(inv_n), "inv_sum": timedelta(microseconds=int(inv_us)) if inv_n else None,
                 "sol_n": int(sol_n), "sol_sum": timedelta(microseconds=int(sol_us)) if sol_n else None}
                for key, category, name, name_en, n, inv_n, inv_us, sol_n, sol_us in cursor.fetchall()]


def tickets_touched(*, start: datetime, end: datetime) -> Q:
    """Tickets opened, resolved or closed in [start, end): the rows ticket_flow_counts can count."""
    return (Q(created_at__gte=start, created_at__lt=end) | Q(resolved_at__gte=start, resolved_at__lt=end)
            | Q(closed_at__gte=start, closed_at__lt=end))


def backlogs_at(*, moments: list[datetime], team=None, source: str = "auto") -> list[int]:
    """backlog_at for each moment, in one query.

    From the ticket-flow rollup (TicketFlowDelta's backlog columns, tickets/flow_sql.py) when every moment is on a
    whole UTC hour H: the tickets open now (not cancelled, neither resolved nor closed: counted live, through the
    resolved_at index) less, from H on, the tickets that entered the backlog (opened) and plus those that left it
    (first resolved or closed) — whatever entered before H and had not left by then. Else — or with
    source="direct" — counted from the tickets, a query per moment. The two agree (tested both ways)."""
    from django.db import connection

    from . import flow_sql
    from .models import TicketFlowDelta

    hours = [_flow_hour(m) for m in moments]
    use_rollup = source == "rollup" or (source == "auto" and None not in hours
                                        and connection.vendor in ("sqlite", "postgresql"))
    if not use_rollup or not moments:
        return [backlog_at(moment=m, team=team) for m in moments]
    if None in hours:
        raise ValueError("the ticket-flow rollup counts whole UTC hours: these moments are not on them")
    team_id = getattr(team, "pk", team)
    by_team, team_params = ("", []) if team_id is None else (" AND team_id = %s", [team_id])
    by_key = "" if team_id is None else " AND team_key = %s"
    sums = ", ".join("SUM(CASE WHEN hour >= %s THEN backlog_in - backlog_out ELSE 0 END)" for _h in hours)
    sql = (f"SELECT (SELECT COUNT(*) FROM {flow_sql.TICKETS} WHERE resolved_at IS NULL AND closed_at IS NULL "
           f"AND status <> %s{by_team}), {sums} FROM {TicketFlowDelta._meta.db_table} WHERE hour >= %s{by_key}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [Ticket.Status.CANCELLED.value, *team_params, *hours, min(hours), *team_params])
        open_now, *after = cursor.fetchone()
    return [open_now - (n or 0) for n in after]


def backlog_at(*, moment: datetime, team=None) -> int:
    """Tickets open at `moment`: opened before it, not yet resolved/closed then, not cancelled.

    Counted as two disjoint parts (still unresolved / resolved only later) joined by UNION ALL in
    one query: each part is a plain range on (resolved_at, created_at, closed_at, status), so
    PostgreSQL answers both from that index alone instead of a bitmap scan over the table."""
    base = Ticket.objects.filter(created_at__lt=moment)
    if team is not None:
        base = base.filter(team=team)
    base = base.exclude(status=Ticket.Status.CANCELLED).filter(Q(closed_at__isnull=True) | Q(closed_at__gte=moment))
    open_now = base.filter(resolved_at__isnull=True).values_list("created_at")
    resolved_later = base.filter(resolved_at__gte=moment).values_list("created_at")
    return open_now.union(resolved_later, all=True).count()


def valid_staff_complaints_by_person(*, start: datetime, end: datetime, user_ids=None) -> dict[int, int]:
    """Valid complaints against each staff member, counted in the month (or any span) the complaint was
    made: complaints opened in [start, end) whose supervisor found the complaint about the named staff
    member valid. The one definition the assessment score (−5 each) and the live board both use.
    One query; people with none are absent."""
    qs = Complaint.objects.filter(staff_complaint_valid=True, staff_member__isnull=False,
                                  ticket__created_at__gte=start, ticket__created_at__lt=end)
    if user_ids is not None:
        qs = qs.filter(staff_member_id__in=list(user_ids))
    return dict(qs.values("staff_member_id").annotate(n=Count("pk")).values_list("staff_member_id", "n"))


# --- Issue 17: departments that answer for complaints ------------------------------------------------

def complaint_handoffs(*, ticket, viewer=None) -> list:
    """A complaint's hand-offs, oldest first, with who did what, in one query. With `viewer`, each also
    knows whether the viewer is a member of its department (ComplaintHandoff.can_answer, no query)."""
    from django.db.models import Exists, OuterRef

    from .models import ComplaintHandoff, Department

    qs = (ComplaintHandoff.objects.filter(ticket_id=ticket.pk)
          .select_related("department", "department__head", "handed_by", "responded_by", "findings_by")
          .order_by("handed_at", "id"))
    if viewer is None or not viewer.is_authenticated:
        return list(qs)
    member = Department.members.through.objects.filter(department_id=OuterRef("department_id"), user_id=viewer.pk)
    handoffs = list(qs.annotate(viewer_is_member=Exists(member)))
    for h in handoffs:
        h.known_members = {viewer.pk: h.viewer_is_member}
    return handoffs


def department_member_can_open(*, user, ticket_id) -> bool:
    """A department's head or member may open a complaint handed to their department (one query)."""
    from .models import ComplaintHandoff

    from servicedesk.params import id_param

    if id_param(ticket_id) is None:  # an id from the URL no row can have (SQLite overflows on it): no access
        return False
    return ComplaintHandoff.objects.filter(ticket_id=ticket_id).filter(
        Q(department__members=user) | Q(department__head=user)).exists()


def departments_of(*, user, all_departments: bool = False) -> list:
    """The departments a user is head or member of (every active one with all_departments)."""
    from .models import Department

    qs = Department.objects.all() if all_departments else Department.objects.filter(
        Q(members=user) | Q(head=user)).distinct()
    return list(qs.filter(is_active=True).order_by("name")) if all_departments else list(qs.order_by("name"))


def department_handoffs(*, departments, state: str = "") -> QuerySet:
    """Hand-offs to these departments: awaiting acceptance first, then accepted, then the rest; newest
    first within each (handoff_department_idx)."""
    from django.db.models import Case, IntegerField, Value, When

    from .models import ComplaintHandoff

    S = ComplaintHandoff.State
    qs = ComplaintHandoff.objects.filter(department_id__in=list(departments))
    if state:
        qs = qs.filter(state=state)
    rank = Case(When(state=S.PENDING, then=Value(0)), When(state=S.ACCEPTED, then=Value(1)), default=Value(2),
                output_field=IntegerField())
    return (qs.select_related("ticket", "ticket__customer", "department", "handed_by", "responded_by")
            .annotate(rank=rank).order_by("rank", "-handed_at", "-id"))


def complaints_refused_by_departments(*, user) -> QuerySet:
    """Refusals waiting for the supervisor (issue 17): the complaint has no responsible department until
    the supervisor names one again. Same team rule as complaints_awaiting_decision."""
    from .models import ComplaintHandoff

    qs = (ComplaintHandoff.objects.filter(awaiting_supervisor=True)
          .select_related("ticket", "ticket__customer", "department", "responded_by", "handed_by"))
    return _decider_scope(qs, user).order_by("handed_at", "id")


# --- Tags (issue 19 item 4) --------------------------------------------------------------------------
def _load_tags() -> list[tuple[int, str, str, bool]]:
    from .models import Tag

    return list(Tag.objects.order_by("name").values_list("pk", "name", "colour", "active"))


# The managed list is read by every ticket list's filter bar: kept per thread while no tag changes
# (servicedesk.shared_memo), so the busiest page pays no query for it.
TAGS = SharedMemo("tickets:tags:version", _load_tags)


def tags_of(ticket: Ticket) -> list[dict]:
    """The ticket's tags by name, with colours, from its tag_ids and the per-thread table (no query)."""
    wanted = set(ticket.tag_ids or ())
    return [{"pk": pk, "name": name, "colour": colour, "active": active}
            for pk, name, colour, active in TAGS.get() if pk in wanted]


def ticket_links(ticket: Ticket) -> list[dict]:
    """The ticket's links (issue 19 item 7), oldest first: each with what the other ticket is to this one
    (related, child, parent) and the other ticket's number, subject and status. No query for a ticket
    without links (Ticket.has_links); one otherwise, however many."""
    from .models import TicketLink

    if not ticket.has_links:
        return []
    cols = ["kind", "from_ticket_id", "to_ticket_id"] + [f"{end}__{c}" for end in ("from_ticket", "to_ticket")
                                                         for c in ("number", "subject", "status", "kind")]
    links = (TicketLink.objects.filter(Q(from_ticket_id=ticket.pk) | Q(to_ticket_id=ticket.pk))
             .select_related("from_ticket", "to_ticket").only(*cols).order_by("pk"))
    return [{"id": link.pk, "role": link.role_for(ticket.pk), "other": link.other(ticket.pk)} for link in links]


def tag_choices() -> list[tuple[str, str]]:
    """Every tag, retired ones too (old tickets carry them), as the filter's (pk, name) choices."""
    return [(str(pk), name) for pk, name, _colour, _active in TAGS.get()]


def tag_counts(*, now, days: int = 30) -> list:
    """Per tag: tickets open now and tickets opened in the last ``days`` days (one grouped query)."""
    from django.db.models import Count, Q

    from .models import Tag

    since = now - timedelta(days=days)
    return list(Tag.objects.annotate(
        open_now=Count("ticket_tags", filter=Q(ticket_tags__ticket__status__in=Ticket.OPEN_STATUSES)),
        recent=Count("ticket_tags", filter=Q(ticket_tags__ticket__created_at__gte=since)),
        total=Count("ticket_tags"),
    ).order_by("-open_now", "name"))


# --- Saved views (issue 19 item 3) -------------------------------------------------------------------
VIEW_COUNT_CAP = 99  # a tab says "99+" beyond this: no COUNT(*) over the table, ever
VIEWS_PER_PERSON = 20


def saved_views_for(user) -> QuerySet:
    """The person's own views and their teams' (the team they are in, the teams they supervise). One query."""
    from servicedesk.models import StaffProfile, Team

    from .models import SavedView

    teams = Q(team__in=StaffProfile.objects.filter(user=user.pk, team__isnull=False).values("team")) | Q(
        team__in=Team.objects.filter(supervisor=user.pk).values("pk"))
    return SavedView.objects.filter(Q(owner=user.pk) | teams).order_by("team_id", "name", "id")


def _saved_views_of(user_id):
    from django.contrib.auth import get_user_model

    return saved_views_for(get_user_model()(pk=user_id))


def saved_views_list(user) -> list:
    """saved_views_for as a list, its SQL compiled once per process (the ticket list's tabs)."""
    return compiled_objects("tickets.saved_views", _saved_views_of, user.pk)


def saved_view_counts(views) -> dict[int, str]:
    """Each view's tickets, counted up to the cap ("99+" beyond): one capped query per view, plus one for
    the filter bar's staff choices shared by all."""
    from django.http import QueryDict

    from .filters import TicketFilter

    choices = ticket_staff_choices()
    out = {}
    for view in views:
        flt = TicketFilter(QueryDict(view.query), queryset=ticket_list_base(), staff_choices=choices)
        n = len(flt.qs.order_by().values_list("pk", flat=True)[:VIEW_COUNT_CAP + 1])
        out[view.pk] = f"{VIEW_COUNT_CAP}+" if n > VIEW_COUNT_CAP else str(n)
    return out
