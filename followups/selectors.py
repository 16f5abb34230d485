"""Reads for callbacks and satisfaction (domain.md §6). Fixed query counts; aggregates in the database."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import Count, F, Prefetch, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk import businesstime
from servicedesk.lookups import localized_name

from .models import Callback, CallbackAttempt, FollowupPolicy, SurveyInvitation, SurveyResponse


# --- Calendar and policy ----------------------------------------------------------------------------
@lru_cache(maxsize=8)
def _china_calendar(year: int) -> businesstime.WorkingCalendar:
    return businesstime.china_calendar([year, year + 1])


def department_calendar(*, now: datetime | None = None) -> businesstime.WorkingCalendar:
    """The department's working calendar. The one place to switch to sla.selectors.working_calendar()."""
    try:
        from sla.selectors import working_calendar  # the SLA area's calendar, once it exists
    except ImportError:
        year = timezone.localtime(now or timezone.now()).year
        return _china_calendar(year)
    return working_calendar()


def working_day_length(cal: businesstime.WorkingCalendar) -> timedelta:
    """Length of a normal working day (Monday's timetable): "N working days" = N × this."""
    total = timedelta(0)
    for start, end in cal.weekly_hours.get(0, ()):
        total += datetime.combine(date(2000, 1, 3), end) - datetime.combine(date(2000, 1, 3), start)
    return total or timedelta(hours=8)


def _inside_working_hours(cal, moment: datetime) -> datetime:
    # add_working_time may land exactly on a closing time (Tue 18:00); a call is due while the
    # office is open, so such a moment becomes the next opening (Wed 09:00).
    return moment if cal.is_working_time(moment) else businesstime.next_working_moment(cal, moment)


def add_working_days(start: datetime, days: int | float) -> datetime:
    """`days` working days after `start` (a working day = the calendar's normal day length), due in office hours."""
    cal = department_calendar(now=start)
    return _inside_working_hours(cal, businesstime.add_working_time(cal, start, working_day_length(cal) * days))


def add_working_hours(start: datetime, hours: int | float) -> datetime:
    cal = department_calendar(now=start)
    return _inside_working_hours(cal, businesstime.add_working_time(cal, start, timedelta(hours=hours)))


def policy() -> FollowupPolicy:
    obj = FollowupPolicy.objects.order_by("pk").first()
    if obj is None:
        obj, _created = FollowupPolicy.objects.get_or_create(pk=1)
    return obj


# --- Who may own a callback -------------------------------------------------------------------------
def can_work_callbacks(user) -> bool:
    """The person's role can open the callbacks page and a callback, and record a call there (the
    callback page's permission: agents, supervisors, managers): only such a person may own one."""
    return bool(user is not None and user.is_active and user.has_perm("followups.view_callback"))


def callback_owner_for(*, ticket=None, customer=None):
    """The documented owner rule for a callback the system schedules (domain.md §6, issue 11):

    1. the ticket's assignee, if their role can work callbacks (without a ticket — key accounts —
       the customer's owner, the first contact, if their role can);
    2. else the agent of the ticket's team (no ticket, or a ticket without a team: the team of the customer's owner)
       with the fewest pending callbacks (ties: the longest-standing account);
    3. else the team's supervisor, else the first active supervisor;
    None only when the department has no agent and no supervisor at all.
    """
    User = get_user_model()
    first = getattr(ticket, "assignee", None) if ticket is not None else getattr(customer, "owner", None)
    if first is not None and can_work_callbacks(first):
        return first
    team_id = getattr(ticket, "team_id", None)
    if team_id is None and customer is not None and customer.owner_id:
        team_id = getattr(getattr(customer.owner, "profile", None), "team_id", None)
    if team_id is not None:
        agents = (User.objects.filter(groups__name="agent", is_active=True, profile__team_id=team_id)
                  .annotate(open_callbacks=Count("callbacks", filter=Q(callbacks__status=Callback.Status.PENDING)))
                  .order_by("open_callbacks", "pk"))
        for agent in agents[:5]:
            if can_work_callbacks(agent):
                return agent
    team = getattr(ticket, "team", None) if ticket is not None and team_id else None
    if team is not None and team.supervisor_id and can_work_callbacks(team.supervisor):
        return team.supervisor
    for sup in User.objects.filter(groups__name="supervisor", is_active=True).order_by("pk")[:5]:
        if can_work_callbacks(sup):
            return sup
    return None


# --- Callback queue ---------------------------------------------------------------------------------
def _local_day_bounds(now: datetime) -> tuple[datetime, datetime]:
    local = timezone.localtime(now)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def callbacks_visible_to(user):
    qs = Callback.objects.all()
    if not user.has_perm("followups.view_all_callbacks"):
        qs = qs.filter(owner=user)
    return qs


@dataclass
class CallbackQueue:
    overdue: list = field(default_factory=list)
    due_today: list = field(default_factory=list)
    upcoming: list = field(default_factory=list)
    recent_done: list = field(default_factory=list)
    # True counts of each section (a section shows at most `limit` rows: never cut silently)
    totals: dict = field(default_factory=dict)


QUEUE_SECTIONS = ("overdue", "due_today", "upcoming")


def _restrict(qs, *, user, owner=None):
    if not user.has_perm("followups.view_all_callbacks"):
        qs = qs.filter(owner=user)
    if owner is not None:
        qs = qs.filter(owner=owner)
    return qs


def callback_section(*, user, now: datetime, section: str, owner=None):
    """The pending callbacks of one queue section as a queryset (the view paginates "see all").
    "overdue" is overdue_callbacks — the dashboard's definition — limited to what the user may see."""
    _start, end = _local_day_bounds(now)
    pending = Callback.objects.filter(status=Callback.Status.PENDING)
    qs = {
        "overdue": overdue_callbacks(now=now),
        "due_today": pending.filter(due_at__gte=now, due_at__lt=end),
        "upcoming": pending.filter(due_at__gte=end),
    }[section]
    return (_restrict(qs, user=user, owner=owner).select_related("customer", "ticket", "owner", "technician")
            .order_by("due_at", "id"))


def callback_queue(*, user, now: datetime, owner=None, limit: int = 50) -> CallbackQueue:
    """Pending callbacks split into overdue / due later today / upcoming, each with its true count
    (five queries, whatever the size)."""
    _start, end = _local_day_bounds(now)
    pending = _restrict(Callback.objects.filter(status=Callback.Status.PENDING), user=user, owner=owner)
    totals = pending.aggregate(
        overdue=Count("id", filter=Q(due_at__lt=now)),
        due_today=Count("id", filter=Q(due_at__gte=now, due_at__lt=end)),
        upcoming=Count("id", filter=Q(due_at__gte=end)),
    )
    sections = {name: list(callback_section(user=user, now=now, section=name, owner=owner)[:limit])
                for name in QUEUE_SECTIONS}
    queue = CallbackQueue(
        **sections,
        recent_done=list(
            _restrict(Callback.objects.exclude(status=Callback.Status.PENDING), user=user, owner=owner)
            .select_related("customer", "ticket", "owner").order_by("-completed_at", "-id")[:10]
        ),
        totals=totals,
    )
    _attach_phones([*queue.overdue, *queue.due_today, *queue.upcoming])
    return queue


def _attach_phones(callbacks: list) -> None:
    """cb.phone = the customer's primary (else first) number, in one query for the whole page."""
    from customers.models import CustomerPhone

    ids = {cb.customer_id for cb in callbacks}
    phones = {}
    for phone in CustomerPhone.objects.filter(customer_id__in=ids).order_by("customer_id", "-is_primary", "pk"):
        phones.setdefault(phone.customer_id, phone.number)
    for cb in callbacks:
        cb.phone = phones.get(cb.customer_id, "")


def callback_detail(*, pk: int, user) -> Callback:
    return (
        callbacks_visible_to(user)
        .select_related("customer", "ticket", "owner", "technician", "follow_up_ticket", "survey_response")
        .prefetch_related("customer__phones",
                          Prefetch("attempt_rows", queryset=CallbackAttempt.objects.select_related("by")))
        .get(pk=pk)
    )


def callbacks_of_team(qs, team):
    """Callbacks of a team: owned by one of its members or about one of its tickets (every figure
    filtered by team uses this one rule)."""
    if team is None:
        return qs
    return qs.filter(Q(owner__profile__team=team) | Q(ticket__team=team))


def overdue_callbacks(*, now: datetime, team=None):
    """Pending callbacks past their due time: the dashboard's figure and the queue's "Overdue" list
    (one definition; OVERDUE_COUNTS says what it counts)."""
    return callbacks_of_team(Callback.objects.filter(status=Callback.Status.PENDING, due_at__lt=now), team)


OVERDUE_COUNTS = _("Pending callbacks past their due time, whenever they fell due.")


def overdue_callbacks_count(*, team=None, now: datetime) -> int:
    """How many callbacks are overdue now (overdue_callbacks): the dashboard panel and the queue badge."""
    return overdue_callbacks(now=now, team=team).count()


# --- Shared callback and survey figures for periods (the reports call these) -------------------------
CALLBACK_FIGURES_COUNT = _("Callbacks due in the period (cancelled ones left out); overdue: still pending past "
                           "their due time.")
SURVEY_FIGURES_COUNT = _("Answers submitted in the period. CSAT: share of answers with overall satisfaction 4 or 5; "
                         "NPS: % answering 9–10 minus % answering 0–6 to “would you recommend us”.")


def callback_figures(*, start: datetime, end: datetime, now: datetime, team=None, by: str | None = None):
    """Callbacks due in [start, end): due, done on time, done late, overdue (still pending past due
    by `now` or the period's end), unreachable. One grouped query (`by` a field, e.g. "reason") or
    one aggregate (by=None → a dict)."""
    overdue_before = min(end, now)
    counts = {
        "due": Count("id"),
        "done_on_time": Count("id", filter=Q(status=Callback.Status.DONE, completed_at__lte=F("due_at"))),
        "done_late": Count("id", filter=Q(status=Callback.Status.DONE, completed_at__gt=F("due_at"))),
        "overdue": Count("id", filter=Q(status=Callback.Status.PENDING, due_at__lt=overdue_before)),
        "unreachable": Count("id", filter=Q(status=Callback.Status.UNREACHABLE)),
    }
    qs = Callback.objects.filter(due_at__gte=start, due_at__lt=end).exclude(status=Callback.Status.CANCELLED)
    qs = callbacks_of_team(qs, team)
    if by is None:
        return qs.aggregate(**counts)
    return list(qs.values(by).annotate(**counts).order_by(by))


def survey_stats(*, start: datetime, end: datetime, team=None, by: str | None = None):
    """CSAT, NPS and averages (Stats: the satisfaction page's own arithmetic) over the answers
    submitted in [start, end); `team`: the ticket's team. One query; by a field → [(value, Stats)]."""
    qs = SurveyResponse.objects.filter(submitted_at__gte=start, submitted_at__lt=end)
    if team is not None:
        qs = qs.filter(ticket__team=team)
    if by is None:
        return Stats.from_row(qs.aggregate(**_sums()))
    return [(row[by], Stats.from_row(row)) for row in qs.values(by).annotate(**_sums()).order_by(by)]


# --- Satisfaction ------------------------------------------------------------------------------------
DIMENSIONS = [
    ("reliability", _("Reliability")),
    ("responsiveness", _("Responsiveness")),
    ("assurance", _("Professional skill")),
    ("empathy", _("Attitude")),
    ("tangibles", _("Appearance and tidiness")),
]

# How each weight of the department's index (domain.md §6) maps onto the survey's answers. Every
# answer is first put on a 0–100 scale: a 1–5 score s → (s − 1) × 25; recommendation r → r × 10.
WEIGHT_MAPPING = [
    ("weight_responsiveness", _("Responsiveness"), ("responsiveness",),
     _("the responsiveness answer")),
    ("weight_service_quality", _("Service quality"), ("assurance", "empathy", "tangibles"),
     _("mean of professional skill, attitude and appearance/tidiness")),
    ("weight_product", _("Product"), ("reliability",),
     _("reliability: the product works as promised after the service")),
    ("weight_support_effect", _("Support effect"), ("overall",),
     _("overall satisfaction with how the matter was handled")),
    ("weight_recommendation", _("Recommendation"), ("recommend",),
     _("likelihood to recommend (0–10)")),
]

SEGMENTS = {
    "tier": _("Service tier"),
    "region": _("Region"),
    "channel": _("Channel"),
    "ticket_kind": _("Ticket kind"),
    "agent": _("Agent"),
    "technician": _("Technician"),
}

_SCORE_FIELDS = ["overall", "reliability", "responsiveness", "assurance", "empathy", "tangibles", "recommend"]


def _sums():
    """Counts and sums (not averages) so that months add up exactly into totals in Python."""
    agg = {
        "n": Count("id"),
        "satisfied": Count("id", filter=Q(overall__gte=4)),
        "promoters": Count("id", filter=Q(recommend__gte=9)),
        "detractors": Count("id", filter=Q(recommend__lte=6)),
    }
    for name in _SCORE_FIELDS:
        agg[f"sum_{name}"] = Sum(name)
    return agg


@dataclass
class Stats:
    """CSAT/NPS/averages from counts and sums. Empty → None everywhere (shown as "—")."""

    n: int = 0
    satisfied: int = 0
    promoters: int = 0
    detractors: int = 0
    sums: dict = field(default_factory=dict)
    invited: int = 0

    @classmethod
    def from_row(cls, row: dict) -> "Stats":
        return cls(
            n=row.get("n") or 0,
            satisfied=row.get("satisfied") or 0,
            promoters=row.get("promoters") or 0,
            detractors=row.get("detractors") or 0,
            sums={f: row.get(f"sum_{f}") or 0 for f in _SCORE_FIELDS},
        )

    def add(self, other: "Stats") -> None:
        self.n += other.n
        self.satisfied += other.satisfied
        self.promoters += other.promoters
        self.detractors += other.detractors
        for f in _SCORE_FIELDS:
            self.sums[f] = self.sums.get(f, 0) + other.sums.get(f, 0)
        self.invited += other.invited

    @property
    def csat(self) -> float | None:
        """% of answers with overall 4 or 5."""
        return round(100 * self.satisfied / self.n, 1) if self.n else None

    @property
    def nps(self) -> float | None:
        """% promoters (9–10) − % detractors (0–6), from −100 to 100."""
        return round(100 * (self.promoters - self.detractors) / self.n, 1) if self.n else None

    def avg(self, name: str) -> float | None:
        return round(self.sums.get(name, 0) / self.n, 2) if self.n else None

    @property
    def averages(self) -> list[tuple[str, str, float | None]]:
        return [(key, label, self.avg(key)) for key, label in DIMENSIONS]

    @property
    def avg_overall(self):
        return self.avg("overall")

    @property
    def avg_recommend(self):
        return self.avg("recommend")

    @property
    def response_rate(self) -> float | None:
        return round(100 * self.n / self.invited, 1) if self.invited else None

    def scaled(self, name: str) -> float | None:
        """The 0–100 score of one answer (see WEIGHT_MAPPING)."""
        if not self.n:
            return None
        mean = self.sums.get(name, 0) / self.n
        return mean * 10 if name == "recommend" else (mean - 1) * 25

    def weighted_index(self, pol: FollowupPolicy) -> float | None:
        if not self.n:
            return None
        total_w = 0
        total = 0.0
        for attr, _label, fields, _help in WEIGHT_MAPPING:
            weight = getattr(pol, attr)
            part = sum(self.scaled(f) for f in fields) / len(fields)
            total += weight * part
            total_w += weight
        return round(total / total_w, 1) if total_w else None


def months_back(today: date, count: int) -> list[date]:
    first = today.replace(day=1)
    result = []
    for _i in range(count):
        result.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return list(reversed(result))


def _filtered(qs, filters: dict):
    if filters.get("tier"):
        qs = qs.filter(tier=filters["tier"])
    if filters.get("region"):
        qs = qs.filter(region_id=filters["region"])
    if filters.get("channel"):
        qs = qs.filter(channel=filters["channel"])
    if filters.get("ticket_kind"):
        qs = qs.filter(ticket_kind=filters["ticket_kind"])
    if filters.get("agent"):
        qs = qs.filter(agent_id=filters["agent"])
    if filters.get("technician"):
        qs = qs.filter(technician_id=filters["technician"])
    return qs


@dataclass
class SatisfactionReport:
    months: list  # [(date, Stats)]
    total: Stats
    segment: str
    by_segment: list  # [(label, Stats)]
    weighted_index: float | None
    policy: FollowupPolicy


def satisfaction_report(*, start: date, end: date, segment: str = "tier", filters: dict | None = None,
                        now: datetime) -> SatisfactionReport:
    """The dashboard's figures for months start..end (inclusive, first-of-month dates).

    Unfiltered (the usual view), it reads the SatisfactionRollup cells kept up to date by the
    services: three small queries whatever the number of answers. With a filter (tier, region, …)
    it aggregates the answers themselves (month index) — exact, slower on very large tables.
    """
    filters = {k: v for k, v in (filters or {}).items() if v}
    seg_field = segment if segment in SEGMENTS else "tier"
    if not filters:
        by_month, invited, seg_rows = _rollup_figures(start, end, seg_field)
    elif len(filters) == 1:
        # One filter is one rollup dimension: the monthly figures come from its cells; only the
        # breakdown inside the filter needs the answers themselves.
        ((dimension, value),) = filters.items()
        by_month, invited = _rollup_months(start, end, dimension=dimension, key=str(value))
        seg_rows = _raw_segments(start, end, seg_field, filters)
    else:
        by_month, invited, seg_rows = _raw_figures(start, end, seg_field, filters)
    months = []
    total = Stats()
    month = start
    while month <= end:
        stats = by_month.get(month, Stats())
        stats.invited = invited.get(month, 0)
        months.append((month, stats))
        total.add(stats)
        month = _next_month(month)
    labels = _segment_labels(seg_field, [key for key, _row in seg_rows])
    by_segment = [(labels.get(key, "—"), Stats.from_row(row)) for key, row in seg_rows]
    pol = policy()
    return SatisfactionReport(months=months, total=total, segment=seg_field, by_segment=by_segment,
                              weighted_index=total.weighted_index(pol), policy=pol)


def _rollup_months(start: date, end: date, *, dimension: str = "all", key: str = ""):
    from .models import SatisfactionRollup

    by_month, invited = {}, {}
    for row in SatisfactionRollup.objects.filter(month__gte=start, month__lte=end, dimension=dimension,
                                                 key=key).values():
        by_month[row["month"]] = Stats.from_row(row)
        invited[row["month"]] = row["invited"]
    return by_month, invited


def _rollup_figures(start: date, end: date, seg_field: str):
    from .models import SatisfactionRollup

    cells = SatisfactionRollup.objects.filter(month__gte=start, month__lte=end)
    by_month, invited = _rollup_months(start, end)
    sums = {name: Sum(name) for name in ["n", "satisfied", "promoters", "detractors",
                                         *[f"sum_{f}" for f in _SCORE_FIELDS]]}
    seg_rows = []
    # Every segment, uncut: staff performance is read from this table (domain.md), and the segments a
    # cut would drop are the ones with the fewest answers — a technician or agent a supervisor must see.
    for row in (cells.filter(dimension=seg_field, n__gt=0).values("key").annotate(**sums).order_by("-n", "key")):
        key = row["key"]
        if seg_field in ("region", "agent", "technician"):
            key = int(key) if key.isdigit() else None
        seg_rows.append((key if key != "" else None, row))
    return by_month, invited, seg_rows


def _raw_figures(start: date, end: date, seg_field: str, filters: dict):
    from django.db.models.functions import TruncMonth

    responses = _filtered(SurveyResponse.objects.filter(month__gte=start, month__lte=end), filters)
    by_month = {row["month"]: Stats.from_row(row) for row in responses.values("month").annotate(**_sums()).order_by()}
    invitations = SurveyInvitation.objects.filter(
        created_at__gte=_month_start_dt(start), created_at__lt=_month_start_dt(_next_month(end))
    )
    for key, lookup in (("tier", "customer__tier"), ("region", "customer__region_id"), ("channel", "ticket__channel"),
                        ("ticket_kind", "ticket__kind"), ("agent", "ticket__assignee_id"),
                        ("technician", "technician_id")):
        if filters.get(key):
            invitations = invitations.filter(**{lookup: filters[key]})
    invited = {
        (row["m"].date() if isinstance(row["m"], datetime) else row["m"]): row["c"]
        for row in invitations.annotate(m=TruncMonth("created_at")).values("m").annotate(c=Count("id")).order_by()
    }
    return by_month, invited, _raw_segments(start, end, seg_field, filters)


def _raw_segments(start: date, end: date, seg_field: str, filters: dict) -> list:
    responses = _filtered(SurveyResponse.objects.filter(month__gte=start, month__lte=end), filters)
    model_field = {"region": "region_id", "agent": "agent_id", "technician": "technician_id"}.get(seg_field, seg_field)
    return [(row[model_field] if row[model_field] != "" else None, row)
            for row in responses.values(model_field).annotate(**_sums()).order_by("-n", model_field)]  # uncut, as above


def _segment_labels(seg_field: str, keys: list) -> dict:
    from customers.models import Channel, Region
    from tickets.models import Ticket

    if seg_field == "tier":
        from customers.tiers import tier_labels

        return tier_labels()
    if seg_field == "channel":
        return dict(Channel.choices)
    if seg_field == "ticket_kind":
        return dict(Ticket.Kind.choices)
    ids = [k for k in keys if k is not None]
    if seg_field == "region":
        return {pk: localized_name(zh, en) for pk, zh, en in Region.objects.filter(pk__in=ids).values_list("pk", "name", "name_en")} if ids else {}
    users = get_user_model().objects.filter(pk__in=ids) if ids else []
    return {u.pk: (u.get_full_name() or u.username) for u in users}


def _next_month(d: date) -> date:
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1)


def _month_start_dt(d: date) -> datetime:
    return timezone.make_aware(datetime(d.year, d.month, 1))


def survey_comments(*, start: date, end: date, filters: dict | None = None, max_overall: int | None = None,
                    search: str = ""):
    filters = filters or {}
    qs = _filtered(SurveyResponse.objects.filter(month__gte=start, month__lte=end), filters).exclude(comment="")
    if max_overall:
        qs = qs.filter(overall__lte=max_overall)
    if search:
        qs = qs.filter(comment__icontains=search)
    return qs.select_related("ticket", "customer", "agent", "technician").order_by("-submitted_at", "-id")


def survey_export_rows(*, start: date, end: date, filters: dict | None = None):
    return _filtered(SurveyResponse.objects.filter(month__gte=start, month__lte=end), filters or {}).select_related(
        "ticket", "region", "agent", "technician"
    ).order_by("submitted_at", "id")


# --- Staff performance --------------------------------------------------------------------------------
@dataclass
class StaffRow:
    user: object
    tickets_handled: int = 0
    first_response_met: str | None = None
    resolution_met: str | None = None
    callbacks_total: int = 0
    callbacks_on_time: int = 0
    csat: float | None = None
    answers: int = 0
    complaints: int | None = None

    @property
    def callbacks_on_time_pct(self):
        return round(100 * self.callbacks_on_time / self.callbacks_total, 1) if self.callbacks_total else None


def staff_performance(*, start: date, end: date, now: datetime) -> list[StaffRow]:
    """Per agent and technician: tickets handled, callbacks done on time, CSAT, valid complaints.

    SLA met rates come from sla.SLAClock (clocks stopped in the period, by the ticket's assignee);
    complaints from tickets.Complaint (staff member + valid flag, decided in the period). Both are
    looked up by name so this page keeps working if either area changes shape ("—" then).
    """
    from tickets.models import Ticket

    User = get_user_model()
    start_dt, end_dt = _month_start_dt(start), _month_start_dt(_next_month(end))
    staff = list(
        User.objects.filter(groups__name__in=["agent", "technician", "supervisor"], is_active=True)
        .distinct().order_by("username")
    )
    rows = {u.pk: StaffRow(user=u) for u in staff}
    for r in (Ticket.objects.filter(assignee__in=staff, resolved_at__gte=start_dt, resolved_at__lt=end_dt)
              .values("assignee").annotate(c=Count("id")).order_by()):
        rows[r["assignee"]].tickets_handled = r["c"]
    done = Callback.objects.filter(owner__in=staff, completed_at__gte=start_dt, completed_at__lt=end_dt).exclude(
        status=Callback.Status.CANCELLED
    )
    for r in done.values("owner").annotate(
        total=Count("id"), on_time=Count("id", filter=Q(completed_at__lte=F("due_at")))
    ).order_by():
        rows[r["owner"]].callbacks_total = r["total"]
        rows[r["owner"]].callbacks_on_time = r["on_time"]
    responses = SurveyResponse.objects.filter(month__gte=start, month__lte=end)
    for key in ("agent", "technician"):
        for r in responses.filter(**{f"{key}__in": staff}).values(key).annotate(
            n=Count("id"), sat=Count("id", filter=Q(overall__gte=4))
        ).order_by():
            row = rows[r[key]]
            row.answers += r["n"]
            row.csat = round(100 * r["sat"] / r["n"], 1) if r["n"] else None
    clock_model = _model_or_none("sla", "SLAClock")
    if clock_model is not None and _has_fields(clock_model, "ticket", "target", "met", "stopped_at"):
        met = {}
        for r in (clock_model.objects.filter(ticket__assignee__in=staff, stopped_at__gte=start_dt,
                                             stopped_at__lt=end_dt, met__isnull=False,
                                             target__in=["first_response", "resolution"])
                  .values("ticket__assignee", "target")
                  .annotate(n=Count("pk"), ok=Count("pk", filter=Q(met=True))).order_by()):
            met[(r["ticket__assignee"], r["target"])] = f"{r['ok']}/{r['n']} ({round(100 * r['ok'] / r['n'])}%)"
        for pk, row in rows.items():
            row.first_response_met = met.get((pk, "first_response"))
            row.resolution_met = met.get((pk, "resolution"))
    complaint_model = _model_or_none("tickets", "Complaint")
    if complaint_model is not None and _has_fields(complaint_model, "staff_member", "staff_complaint_valid"):
        # domain.md §6: a valid complaint about a staff member is recorded against them.
        for row in rows.values():
            row.complaints = 0
        for r in (complaint_model.objects.filter(staff_member__in=staff, staff_complaint_valid=True,
                                                 decided_at__gte=start_dt, decided_at__lt=end_dt)
                  .values("staff_member").annotate(c=Count("pk")).order_by()):
            rows[r["staff_member"]].complaints = r["c"]
    return list(rows.values())


def _model_or_none(app_label: str, name: str):
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


def _has_fields(model, *names) -> bool:
    have = {f.name for f in model._meta.get_fields()}
    return all(n in have for n in names)
