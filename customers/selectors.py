"""Reads for the front desk: search, the customer page and its timeline, intake tallies (domain.md §2)."""
import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Upper
from django.utils import timezone

from .models import Asset, Channel, Contact, Customer, CustomerEvent, CustomerPhone
from .phones import digits_for_search

MIN_PHONE_DIGITS = 4
# SR-2026-000123 (kind prefix, year, sequence); the sequence may be typed without its leading zeros.
TICKET_NUMBER_RE = re.compile(r"^\s*([A-Za-z]{2})\s*-\s*(\d{4})\s*-\s*(\d{1,9})\s*$")
# Only digits and the separators people write in phone numbers: then the query is a phone.
PHONE_LIKE_RE = re.compile(r"^[\d\s+\-().]+$")


@dataclass
class SearchResult:
    query: str
    kind: str  # "empty" | "ticket" | "phone" | "name"
    customers: list = field(default_factory=list)
    ticket: object = None  # the ticket a ticket-number query found
    too_short: bool = False  # a phone query with fewer than MIN_PHONE_DIGITS digits
    more: bool = False  # more customers match than are shown (the page says so: lists never cut silently)


def open_tickets_subquery():
    from tickets.models import Ticket

    counted = (
        Ticket.objects.filter(customer=OuterRef("pk"), status__in=Ticket.OPEN_STATUSES)
        .order_by()
        .values("customer")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def customers_for_listing() -> QuerySet:
    """Live customers with what a result row shows: region, phones, open tickets (2 queries in all)."""
    return (
        Customer.objects.filter(merged_into__isnull=True)
        .select_related("region")
        .prefetch_related(Prefetch("phones", queryset=CustomerPhone.objects.order_by("-is_primary", "pk")))
        .annotate(open_tickets=open_tickets_subquery())
    )


def phone_prefix_range(digits: str) -> tuple[str, str | None]:
    """[digits, next) so a prefix search is a b-tree range on any database and collation.

    "1381" → ("1381", "1382"); "1389" → ("1389", "139"); "9999" → ("9999", None).
    """
    head = digits
    while head and head[-1] == "9":
        head = head[:-1]
    if not head:
        return digits, None
    return digits, head[:-1] + str(int(head[-1]) + 1)


def ticket_number_normalised(query: str) -> str | None:
    match = TICKET_NUMBER_RE.match(query)
    if not match:
        return None
    prefix, year, seq = match.groups()
    return f"{prefix.upper()}-{year}-{int(seq):06d}"


def customers_search(*, query: str, limit: int = 20) -> SearchResult:
    """Find customers by ticket number, phone (any format, ≥ 4 leading digits) or name.

    At most 3 queries whatever the data size: the ticket (when the query looks like a ticket
    number), the customers, their phones. Merged duplicates never show: their phones, tickets and
    history live on the survivor.
    """
    query = (query or "").strip()[:200]
    if not query:
        return SearchResult(query=query, kind="empty")

    number = ticket_number_normalised(query)
    if number is not None:
        from tickets.models import Ticket

        ticket = Ticket.objects.filter(number=number).only("pk", "number", "subject", "status", "customer_id").first()
        customers = []
        if ticket is not None:
            customers = list(customers_for_listing().filter(pk=ticket.customer_id))
        return SearchResult(query=query, kind="ticket", customers=customers, ticket=ticket)

    if PHONE_LIKE_RE.match(query):
        prefix = digits_for_search(query)
        suffix = phone_suffix_digits(query)
        if len(prefix) < MIN_PHONE_DIGITS and len(suffix) < MIN_PHONE_DIGITS:
            return SearchResult(query=query, kind="phone", too_short=True)
        # One row more than shown tells whether there are more, without counting every match.
        customers = list(phone_search_queryset(prefix, suffix=suffix, limit=limit + 1))
        return SearchResult(query=query, kind="phone", customers=customers[:limit], more=len(customers) > limit)
    customers = list(name_search_queryset(query, limit=limit + 1))
    return SearchResult(query=query, kind="name", customers=customers[:limit], more=len(customers) > limit)


def phone_suffix_digits(raw: str) -> str:
    """The digits typed, as the end of a number (尾号): "4817", "0817". Empty for "+86 …" (a whole number)."""
    if raw.strip().startswith("+"):
        return ""
    return "".join(ch for ch in raw if ch.isdigit())


def _digit_range(field: str, digits: str) -> Q:
    low, high = phone_prefix_range(digits)
    condition = Q(**{f"{field}__gte": low})
    if high is not None:
        condition &= Q(**{f"{field}__lt": high})
    return condition


def phone_search_queryset(digits: str, *, suffix: str = "", limit: int = 20) -> QuerySet:
    """Customers with a number that starts with `digits` or ends with `suffix` (each used from 4 digits).

    Both are b-tree ranges: the start on `national`, the end on `national_reversed` (the reversed
    suffix is a prefix there), so "4817" finds 135 7263 4817 without reading every number. Each side
    takes at most `limit` rows in its index's order; where the database allows LIMIT inside a UNION
    (PostgreSQL) the two stay separate index scans that stop early, instead of one OR that must read
    and sort every number starting with a common prefix such as "1381".
    """
    sides = []
    if len(digits) >= MIN_PHONE_DIGITS:
        sides.append(("national", digits))
    if len(suffix) >= MIN_PHONE_DIGITS:
        sides.append(("national_reversed", suffix[::-1]))
    if not sides:
        return customers_for_listing().none()
    scans = [
        CustomerPhone.objects.filter(_digit_range(column, value)).order_by(column).values_list("customer_id", flat=True)[:limit]
        for column, value in sides
    ]
    if len(scans) == 1:
        customer_ids = scans[0]
    elif connection.features.supports_slicing_ordering_in_compound:
        customer_ids = scans[0].union(scans[1])
    else:  # SQLite: one query with both ranges (its OR optimisation probes both indexes)
        condition = _digit_range(*sides[0]) | _digit_range(*sides[1])
        customer_ids = CustomerPhone.objects.filter(condition).order_by("national").values_list("customer_id", flat=True)[:limit]
    return customers_for_listing().filter(pk__in=customer_ids).order_by("name", "pk")[:limit]


MIN_CONTAINS_CHARS = 3


def name_search_queryset(query: str, *, limit: int = 20) -> QuerySet:
    """Case-insensitive: 3+ characters match anywhere in the name, 1–2 match its start.

    On PostgreSQL the pg_trgm GIN index on UPPER(name) answers both (migration 0004). Trigrams
    cannot be taken from inside a 1–2 character pattern, so "contains 朱浩" would read the whole
    table; anchored at the start it is an index lookup, and that is how a Chinese name is typed
    (surname first). Three characters and more (朱浩然, "smit") match anywhere.
    """
    listing = customers_for_listing()
    if len(query) >= MIN_CONTAINS_CHARS:
        # Ordered by UPPER(name), not name: with ORDER BY name + LIMIT PostgreSQL may walk the whole
        # name b-tree hoping to meet 20 matches early — a rare name then reads all 200k rows. This
        # way the trigram index finds the matches and only those are sorted.
        return listing.filter(name__icontains=query).order_by(Upper("name"), "pk")[:limit]
    if connection.vendor == "sqlite" and query.upper() == query.lower():
        # SQLite's case-insensitive LIKE cannot use an index; a name with no cased letters (Chinese)
        # needs no case folding, so its prefix is a b-tree range on customer_name_idx (code-point
        # order, which is SQLite's default collation).
        return listing.filter(name__gte=query, name__lt=query + "\U0010ffff").order_by("name", "pk")[:limit]
    return listing.filter(name__istartswith=query).order_by("name", "pk")[:limit]


def customer_resolve(pk: int) -> Customer | None:
    """The customer, or None. A merged duplicate is returned as is; callers redirect to the survivor."""
    return Customer.objects.filter(pk=pk).first()


def customer_survivor(customer: Customer) -> Customer:
    """Follow merged_into to the live customer (merges re-point older tombstones, so one hop is usual)."""
    seen = set()
    while customer.merged_into_id is not None and customer.pk not in seen:
        seen.add(customer.pk)
        customer = Customer.objects.get(pk=customer.merged_into_id)
    return customer


def customer_detail(*, pk: int) -> Customer | None:
    """The customer page's main object with its phones, assets and service plan items (4 queries)."""
    from .models import ServicePlanItem

    return (
        Customer.objects.select_related("region", "owner", "first_contact_by", "account_manager", "service_plan",
                                        "service_plan__updated_by")
        .prefetch_related(
            Prefetch("phones", queryset=CustomerPhone.objects.order_by("-is_primary", "pk")),
            Prefetch("assets", queryset=Asset.objects.order_by("-install_date", "pk")),
            Prefetch("service_plan__items", queryset=ServicePlanItem.objects.order_by("kind", "sort_order", "pk")),
        )
        .filter(pk=pk)
        .first()
    )


# --- Timeline ---------------------------------------------------------------------------------

@dataclass
class TimelineEntry:
    kind: str  # "contact" | "event" | "ticket"
    at: datetime
    obj: object


class TimelineRows:
    """A sliceable, countable view of the customer's timeline for django's Paginator.

    The union of (kind, id, at) over contacts, customer events and tickets is counted and sliced in
    the database; then each kind's rows on the page are loaded in one query each. So a page costs
    5 queries however long the history is.
    """

    def __init__(self, customer: Customer):
        self.customer = customer

    def _union(self):
        from django.db.models import CharField, DateTimeField, F

        from tickets.models import Ticket

        def part(qs, kind, at_field):
            return qs.order_by().annotate(
                k=Value(kind, output_field=CharField()), at=F(at_field)
            ).values_list("k", "pk", "at")

        contacts = part(Contact.objects.filter(customer=self.customer), "contact", "started_at")
        events = part(CustomerEvent.objects.filter(customer=self.customer), "event", "created_at")
        tickets = part(Ticket.objects.filter(customer=self.customer), "ticket", "created_at")
        return contacts.union(events, tickets, all=True)

    def count(self):
        return self._union().count()

    def __len__(self):
        return self.count()

    def __getitem__(self, item):
        from tickets.models import Ticket

        if not isinstance(item, slice):
            raise TypeError("TimelineRows supports slices only")
        keys = list(self._union().order_by("-at", "-pk")[item])
        ids = {"contact": [], "event": [], "ticket": []}
        for kind, pk, _at in keys:
            ids[kind].append(pk)
        loaded = {
            "contact": Contact.objects.select_related("handled_by", "ticket").in_bulk(ids["contact"]) if ids["contact"] else {},
            "event": CustomerEvent.objects.select_related("actor").in_bulk(ids["event"]) if ids["event"] else {},
            "ticket": Ticket.objects.in_bulk(ids["ticket"]) if ids["ticket"] else {},
        }
        entries = []
        for kind, pk, at in keys:
            obj = loaded[kind].get(pk)
            if obj is not None:
                entries.append(TimelineEntry(kind=kind, at=at, obj=obj))
        return entries


def customer_timeline(*, customer: Customer) -> TimelineRows:
    return TimelineRows(customer)


# --- Intake tallies ---------------------------------------------------------------------------

@dataclass
class Periods:
    day: datetime
    week: datetime
    month: datetime
    end: datetime

    @property
    def earliest(self) -> datetime:
        return min(self.day, self.week, self.month)


def intake_periods(*, now: datetime) -> Periods:
    """Today, this week (from Monday) and this month, in the department's time zone (settings.TIME_ZONE).

    Staff may view pages in their own zone; the tallies always count the department's calendar day.
    """
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    local = timezone.localtime(now, tz)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    week = day - timedelta(days=day.weekday())
    month = day.replace(day=1)
    end = day + timedelta(days=1)
    return Periods(day=day, week=week, month=month, end=end)


PERIOD_KEYS = ("today", "week", "month")


def _period_counts(periods: Periods):
    return {
        "today": Count("pk", filter=Q(started_at__gte=periods.day)),
        "week": Count("pk", filter=Q(started_at__gte=periods.week)),
        "month": Count("pk", filter=Q(started_at__gte=periods.month)),
    }


def _in_periods(periods: Periods) -> QuerySet:
    return Contact.objects.filter(started_at__gte=periods.earliest, started_at__lt=periods.end).order_by()


@dataclass
class IntakeTallies:
    periods: Periods
    totals: dict  # {"today": n, "week": n, "month": n}
    by_channel: list  # [(value, label, {"today":..}), ...]
    by_purpose: list
    walk_ins: dict
    calls: dict
    mine: dict
    team: dict | None
    team_name: str | None
    by_person: list | None  # [(user label, counts)] for supervisors/managers only


def _rows(qs, key: str, choices) -> list:
    counts = {row[key]: {p: row[p] for p in PERIOD_KEYS} for row in qs}
    zero = {p: 0 for p in PERIOD_KEYS}
    return [(value, label, counts.get(value, zero)) for value, label in choices]


def intake_tallies(*, user, now: datetime | None = None, with_people: bool = False) -> IntakeTallies:
    """Contacts today / this week / this month by channel and purpose, aggregated in the database.

    A fixed number of queries: by channel, by purpose, the user's own, the user's team (and, for
    supervisors and managers, per person). domain.md §1: the front desk sees its own and its team's
    totals, never another person's figures.
    """
    now = now or timezone.now()
    periods = intake_periods(now=now)
    counts = _period_counts(periods)
    base = _in_periods(periods)

    by_channel = _rows(base.values("channel").annotate(**counts), "channel", Channel.choices)
    by_purpose = _rows(base.values("purpose").annotate(**counts), "purpose", Contact.Purpose.choices)
    totals = {p: sum(c[p] for _v, _l, c in by_channel) for p in PERIOD_KEYS}
    channel_map = {v: c for v, _l, c in by_channel}
    mine = base.filter(handled_by=user).aggregate(**counts)

    from servicedesk.models import StaffProfile

    team = team_name = None
    profile = StaffProfile.objects.select_related("team").filter(user=user).first()
    if profile is not None and profile.team_id is not None:
        team_name = profile.team.display_name
        team = base.filter(handled_by__profile__team_id=profile.team_id).aggregate(**counts)

    by_person = None
    if with_people:
        from django.contrib.auth import get_user_model

        rows = base.values("handled_by").annotate(**counts).order_by("-month")
        users = get_user_model().objects.in_bulk([r["handled_by"] for r in rows])
        by_person = [
            (users[r["handled_by"]].get_full_name() or users[r["handled_by"]].username, {p: r[p] for p in PERIOD_KEYS})
            for r in rows
        ]
    return IntakeTallies(
        periods=periods,
        totals=totals,
        by_channel=by_channel,
        by_purpose=by_purpose,
        walk_ins=channel_map[Channel.WALK_IN],
        calls=channel_map[Channel.PHONE],
        mine=mine,
        team=team,
        team_name=team_name,
        by_person=by_person,
    )


# --- Export -----------------------------------------------------------------------------------

def customers_for_export(*, tier: str = "", region_id: int | None = None, key_accounts: bool = False) -> QuerySet:
    qs = (
        Customer.objects.filter(merged_into__isnull=True)
        .select_related("region", "owner")
        .prefetch_related(Prefetch("phones", queryset=CustomerPhone.objects.order_by("-is_primary", "pk")))
        .order_by("pk")
    )
    if tier:
        qs = qs.filter(tier=tier)
    if region_id:
        qs = qs.filter(region_id=region_id)
    if key_accounts:
        qs = qs.filter(is_key_account=True)
    return qs


@dataclass
class TodayLog:
    rows: list  # the latest contacts, newest first
    total: int  # how many were logged today (the page says "latest 10 of N" when rows are fewer)

    @property
    def cut(self) -> bool:
        return self.total > len(self.rows)


def contacts_logged_today(*, user, now: datetime | None = None, limit: int = 10) -> TodayLog:
    """The desk's own log for today (department day), newest first, and how many there are in all.

    One query; a second (a count) only when there are more than `limit`, so the page can say so
    (lists never cut silently)."""
    periods = intake_periods(now=now or timezone.now())
    today = Contact.objects.filter(handled_by=user, started_at__gte=periods.day, started_at__lt=periods.end)
    rows = list(today.select_related("customer", "ticket").order_by("-started_at", "-pk")[:limit + 1])
    total = today.count() if len(rows) > limit else len(rows)
    return TodayLog(rows=rows[:limit], total=total)


def _phones_of(customer_id):
    return CustomerPhone.objects.filter(customer_id=customer_id)


def _phones(customer: Customer) -> list:
    """The customer's phones: prefetched ones if the caller has them, else one read with SQL compiled once per
    process (every ticket opened reads them for its acknowledgement)."""
    if "phones" in getattr(customer, "_prefetched_objects_cache", {}):
        return list(customer.phones.all())
    from servicedesk.compiled import compiled_objects

    return compiled_objects("customers.phones", _phones_of, customer.pk)


def customer_message_route(*, customer: Customer) -> tuple[str, str] | None:
    """(channel, address) for a message to the customer (a reply, a complaint result), or None when
    there is no way to reach them (issue 11 §5: most customers here have only a mobile).

    The customer's preferred channel when it is possible; otherwise the other one: e-mail if an
    address is on file, else SMS to the primary mobile number.
    """
    mobile = next((p.number for p in sorted(_phones(customer), key=lambda p: (not p.is_primary, p.pk))
                   if p.label == CustomerPhone.Label.MOBILE), "")
    email = (customer.email or "").strip()
    routes = {"email": email, "sms": mobile}
    preferred = customer.preferred_channel or ("email" if email else "sms")
    for channel in (preferred, "sms" if preferred == "email" else "email"):
        if routes[channel]:
            return channel, routes[channel]
    return None


def customers_to_confirm(*, limit: int = 10) -> TodayLog:
    """Customers who registered themselves online and are not yet confirmed by the front desk, newest
    first, and how many there are (the partial index customer_unverified_idx: only those rows).
    One query; a count only when there are more than `limit` (lists never cut silently)."""
    pending = Customer.objects.filter(is_verified=False, merged_into__isnull=True)
    rows = list(pending.order_by("-created_at", "-pk")[:limit + 1])
    total = pending.count() if len(rows) > limit else len(rows)
    return TodayLog(rows=rows[:limit], total=total)


# --- Contact handling per person (issue 18: the live board and the assessment read this) -------------
def contact_handling_by_person(*, start: datetime, end: datetime, user_ids=None) -> dict[int, dict]:
    """Contacts handled per person in [start, end) (Contact.handled_by, by the contact's start) and
    their handling time: contact start → end, summed over the contacts that have an end (a call the
    phone system has not yet closed is counted as handled but not timed). One grouped query:
    {user_id: {"handled": n, "timed": n, "seconds": total seconds of the timed ones}}."""
    from servicedesk.lookups import Elapsed
    from django.db.models import F, Sum

    qs = Contact.objects.filter(started_at__gte=start, started_at__lt=end)
    if user_ids is not None:
        qs = qs.filter(handled_by_id__in=list(user_ids))
    rows = qs.values("handled_by_id").annotate(
        handled=Count("pk"), timed=Count("pk", filter=Q(ended_at__isnull=False)),
        total=Sum(Elapsed(F("ended_at"), F("started_at")), filter=Q(ended_at__isnull=False)),
    ).order_by()
    out = {}
    for r in rows:
        total = r["total"]
        if total is None:
            seconds = 0.0
        elif isinstance(total, timedelta):
            seconds = total.total_seconds()
        else:  # a raw SQLite duration: microseconds
            seconds = float(total) / 1_000_000
        out[r["handled_by_id"]] = {"handled": r["handled"], "timed": r["timed"], "seconds": seconds}
    return out


def personal_data_accesses(*, customer=None, user=None, action: str = "", date_from, date_to):
    """The access log (issue 19 item 10), newest first: who saw whose personal data, where and when, in
    the department's days date_from..date_to. Read through (customer, at) or (user, at) or (at)."""
    from datetime import datetime, time, timedelta

    from .models import PersonalDataAccess

    tz = timezone.get_current_timezone()
    start = datetime.combine(date_from, time.min, tzinfo=tz)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz)
    qs = PersonalDataAccess.objects.filter(at__gte=start, at__lt=end)
    if customer is not None:
        qs = qs.filter(customer=customer)
    if user is not None:
        qs = qs.filter(user=user)
    if action:
        qs = qs.filter(action=action)
    return qs.select_related("user", "customer").only(
        "at", "action", "place", "ref", "customer__name", "customer__merged_into", "user__username",
        "user__first_name", "user__last_name").order_by("-at", "-id")


def _on_whole_utc_hours(*moments: datetime) -> bool:
    from datetime import timezone as dt_timezone

    return all(m.astimezone(dt_timezone.utc).replace(minute=0, second=0, microsecond=0) == m for m in moments)


def contact_hour_rows(*, start: datetime, split: datetime, end: datetime, team=None, tz) -> list[dict] | None:
    """Contacts started in [start, end) by (at or after `split`?, channel, direction, hour of day in `tz`):
    [{cur, channel, direction, h, n}], from ContactHourCount in one query — or None where those counts cannot say
    (not PostgreSQL, or a boundary off a whole UTC hour: count the contacts instead). The team is the handler's
    team now, as the contacts' own filter (handled_by__profile__team) reads it."""
    from django.db.models import BooleanField, Case, Sum, When
    from django.db.models.functions import ExtractHour

    from servicedesk.models import StaffProfile

    from .models import ContactHourCount

    if connection.vendor != "postgresql" or not _on_whole_utc_hours(start, split, end):
        return None
    qs = ContactHourCount.objects.filter(hour__gte=start, hour__lt=end)
    if team is not None:
        qs = qs.filter(handled_by_key__in=StaffProfile.objects.filter(team=team).values("user_id"))
    cur = Case(When(hour__gte=split, then=Value(True)), default=Value(False), output_field=BooleanField())
    return list(qs.annotate(cur=cur, h=ExtractHour("hour", tzinfo=tz)).values("cur", "channel", "direction", "h")
                .annotate(n=Sum("n")).filter(n__gt=0).order_by())
