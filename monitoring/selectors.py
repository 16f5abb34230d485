"""Reads of live monitoring (issue 18, item 4). The assessment form shows staff_facts() beside each item.

Every figure is read from the selector of the area that owns it (one definition per figure, style.md §15):

- contacts handled and handling time: customers.selectors.contact_handling_by_person
- first-response compliance: sla.selectors.compliance_cells (the SLA dashboard's definition), by agent
- callbacks on time: followups.selectors.callback_figures (the report's "on time" rate), by owner
- CSAT: followups.selectors.survey_stats (the satisfaction page's arithmetic), by the ticket's agent
- valid complaints: tickets.selectors.valid_staff_complaints_by_person
- SLA at risk now: sla.selectors.clocks_at_risk (the SLA dashboard's "at risk"), by the ticket's owner
- first-contact resolution: defined here (fcr_by_person), the one figure monitoring owns.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk import roles

BOARD_ROLES = (roles.AGENT, roles.FRONT_DESK)


def fcr_days() -> int:
    """N of the first-contact-resolution rule (settings.MONITORING_FCR_DAYS, default 7)."""
    return int(getattr(settings, "MONITORING_FCR_DAYS", 7))


@dataclass
class StaffFacts:
    """What the system knows about one person's work in a span. None = nothing to measure."""

    contacts_handled: int = 0
    avg_handling_seconds: float | None = None  # contact start → end
    first_response_compliance: float | None = None  # % of their tickets' first responses within target
    callbacks_on_time: float | None = None  # % of their callbacks made by the due time
    csat: float | None = None  # average survey score on their tickets
    surveys: int = 0
    valid_complaints: int = 0  # tickets.selectors.valid_staff_complaints_by_person
    first_contact_resolution: float | None = None  # % (definition in monitoring.selectors)
    sla_at_risk: int = 0  # their open tickets whose clock is at risk now
    # The denominators behind the rates (so a page can say "3 of 4"), and the department's CSAT %.
    contacts_timed: int = 0  # contacts with an end time (the ones the average is taken over)
    first_responses_judged: int = 0
    first_responses_met: int = 0
    callbacks_due: int = 0
    callbacks_done_on_time: int = 0
    csat_pct: float | None = None  # % of answers with overall 4 or 5 (followups Stats.csat)
    fcr_judged: int = 0
    fcr_resolved: int = 0


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """[local midnight, next local midnight) of a day in the department's zone (reports.periods)."""
    from reports.periods import local_midnight

    return local_midnight(day), local_midnight(day + timedelta(days=1))


def local_today(now: datetime) -> date:
    from reports.periods import local_tz

    return timezone.localtime(now, local_tz()).date()


# --- first-contact resolution: the definition --------------------------------------------------------
FCR_COUNTS = _(
    "First-contact resolution: of the contacts that opened a ticket (linked to it and started before it was opened), "
    "the share whose ticket was resolved within N days of that contact, never reopened, and with no "
    "other incoming contact from that customer (or about that ticket) within those N days. A contact "
    "is judged only once its N-day window has passed; cancelled tickets are left out. Credited to the "
    "person who handled the contact."
)


def fcr_by_person(*, start: datetime, end: datetime, now: datetime, user_ids=None,
                  days: int | None = None) -> dict[int, tuple[int, int]]:
    """First-contact resolution per person: {user_id: (resolved first time, judged)}. One query.

    Definition (FCR_COUNTS, shown on the board): a contact C logged in [start, end) that opened its
    ticket T (linked by Contact.ticket and started no later than T was opened — later contacts about T
    are follow-ups, not judged) is *judged* once C.started_at + N days ≤ now
    (N = settings.MONITORING_FCR_DAYS, default 7), T not cancelled. It counts as *resolved at first
    contact* when T was resolved no later than C.started_at + N days, T was never reopened
    (Ticket.reopened_at empty), and no other inbound contact from T's customer, nor any contact linked
    to T, started in (C.started_at, C.started_at + N days]. Contacts still inside their window are not
    counted yet (neither way). The person credited is C.handled_by.
    """
    from customers.models import Contact
    from tickets.models import Ticket

    window = timedelta(days=fcr_days() if days is None else days)
    repeat = Contact.objects.filter(
        Q(customer_id=OuterRef("ticket__customer_id"), direction=Contact.Direction.INBOUND) | Q(ticket_id=OuterRef("ticket_id")),
        started_at__gt=OuterRef("started_at"), started_at__lte=OuterRef("started_at") + window,
    )
    qs = Contact.objects.filter(started_at__gte=start, started_at__lt=min(end, now - window + timedelta(microseconds=1)),
                                ticket__isnull=False).exclude(ticket__status=Ticket.Status.CANCELLED)
    # The contact that opened the ticket started no later than the ticket was opened (tickets are opened
    # from a contact already logged); later contacts about it are not judged. A plain column comparison
    # on the join: a NOT EXISTS over earlier contacts made PostgreSQL hash the whole contact log.
    qs = qs.filter(started_at__lte=F("ticket__created_at"))
    if user_ids is not None:
        qs = qs.filter(handled_by_id__in=list(user_ids))
    resolved_first_time = (Q(ticket__resolved_at__isnull=False, ticket__resolved_at__lte=F("started_at") + window,
                             ticket__reopened_at__isnull=True) & ~Q(Exists(repeat)))
    rows = qs.values("handled_by_id").annotate(judged=Count("pk"), ok=Count("pk", filter=resolved_first_time)).order_by()
    return {r["handled_by_id"]: (r["ok"], r["judged"]) for r in rows}


# --- the facts ---------------------------------------------------------------------------------------
STAFF_FACTS_QUERIES = 8  # contacts, FCR, SLA (rollup + unswept), callbacks, surveys, complaints, at risk


def staff_facts(*, user_ids, start: datetime, end: datetime, now: datetime | None = None) -> dict[int, StaffFacts]:
    """Objective facts per person for [start, end): {user_id: StaffFacts}.
    A fixed number of queries (STAFF_FACTS_QUERIES) whatever the number of people.

    - contacts handled / average handling time: contacts they handled that started in the span;
      the average is start → end over those with an end time.
    - first-response compliance: first-response clocks of tickets they own (the SLA rollup's agent),
      due on the span's local days and decided by now (sla COMPLIANCE_COUNTS).
    - callbacks on time: of the callbacks they own due in the span (cancelled left out), % done by
      the due time (followups CALLBACK_FIGURES_COUNT).
    - csat: average overall score (1–5) of the survey answers submitted in the span on tickets they
      were the agent of; surveys: how many; csat_pct: % of those answers scoring 4–5.
    - valid complaints: tickets.selectors.valid_staff_complaints_by_person over the span.
    - sla_at_risk: their open tickets with a running clock past its warning or deadline NOW.
    - first-contact resolution: fcr_by_person (see FCR_COUNTS), over contacts in the span whose
      N-day window has passed by `now`.
    """
    from customers.selectors import contact_handling_by_person
    from followups.selectors import callback_figures, survey_stats
    from reports.periods import local_tz
    from sla.models import Target
    from sla.selectors import clocks_at_risk, compliance_cells
    from tickets.selectors import valid_staff_complaints_by_person

    now = now or timezone.now()
    ids = [int(u) for u in user_ids]
    facts = {uid: StaffFacts() for uid in ids}
    if not ids:
        return facts

    for uid, c in contact_handling_by_person(start=start, end=end, user_ids=ids).items():
        f = facts[uid]
        f.contacts_handled, f.contacts_timed = c["handled"], c["timed"]
        f.avg_handling_seconds = round(c["seconds"] / c["timed"], 1) if c["timed"] else None

    for uid, (ok, judged) in fcr_by_person(start=start, end=end, now=now, user_ids=ids).items():
        facts[uid].fcr_resolved, facts[uid].fcr_judged = ok, judged
        facts[uid].first_contact_resolution = _pct(ok, judged)

    tz = local_tz()
    first_day = timezone.localtime(start, tz).date()
    last_day = timezone.localtime(end - timedelta(microseconds=1), tz).date()
    cells = compliance_cells(start=first_day, end=last_day, now=now, targets=[Target.FIRST_RESPONSE], by=("agent",))
    for (agent,), (met, counted) in cells.items():
        if agent in facts:
            f = facts[agent]
            f.first_responses_met, f.first_responses_judged = met, counted
            f.first_response_compliance = _pct(met, counted)

    for row in callback_figures(start=start, end=end, now=now, by="owner"):
        if row["owner"] in facts:
            f = facts[row["owner"]]
            f.callbacks_due, f.callbacks_done_on_time = row["due"], row["done_on_time"]
            f.callbacks_on_time = _pct(row["done_on_time"], row["due"])

    for agent, stats in survey_stats(start=start, end=end, by="agent"):
        if agent in facts:
            f = facts[agent]
            f.surveys, f.csat, f.csat_pct = stats.n, stats.avg("overall"), stats.csat

    for uid, n in valid_staff_complaints_by_person(start=start, end=end, user_ids=ids).items():
        facts[uid].valid_complaints = n

    at_risk = (clocks_at_risk(now=now).filter(ticket__assignee_id__in=ids).order_by()
               .values("ticket__assignee_id").annotate(n=Count("ticket_id", distinct=True)))
    for row in at_risk:
        facts[row["ticket__assignee_id"]].sla_at_risk = row["n"]
    return facts


# --- who is on the board ------------------------------------------------------------------------------
def board_teams(*, user):
    """The teams a person may pick on the board: every team for a manager (monitoring.view_all_teams),
    else the teams they supervise (Team.supervisor) and their own team."""
    from servicedesk.models import Team

    qs = Team.objects.all()
    if not user.has_perm("monitoring.view_all_teams"):
        own = getattr(getattr(user, "profile", None), "team_id", None) if hasattr(user, "profile") else None
        qs = qs.filter(Q(supervisor=user) | Q(pk=own or 0))
    return qs.order_by("name")


def board_people(*, team_ids, all_teams: bool):
    """Active agents and front-desk people of the given teams (all_teams: everyone, with or without a team)."""
    User = get_user_model()
    qs = User.objects.filter(is_active=True, groups__name__in=BOARD_ROLES)
    if not all_teams:
        qs = qs.filter(profile__team_id__in=list(team_ids))
    return qs.distinct().select_related("profile", "profile__team").prefetch_related("groups").order_by("first_name", "last_name", "username")


@dataclass
class BoardRow:
    user: object
    facts: StaffFacts
    fcr_recent: StaffFacts | None = None
    alerts: list = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    @property
    def role(self) -> str:
        names = {g.name for g in self.user.groups.all()}
        return str(roles.ROLE_LABELS[roles.AGENT if roles.AGENT in names else roles.FRONT_DESK])

    @property
    def avg_handling_minutes(self) -> float | None:
        s = self.facts.avg_handling_seconds
        return None if s is None else round(s / 60, 1)


# Columns of the board: key → (header, what it counts, sort key on a BoardRow).
BOARD_COLUMNS = {
    "contacts": (_("Contacts"), _("Contacts (calls, walk-ins, messages) this person logged as handler today."),
                 lambda r: r.facts.contacts_handled),
    "handling": (_("Avg handling (min)"), _("Average of contact start → end over today's contacts that have an end time."),
                 lambda r: r.facts.avg_handling_seconds),
    "first_response": (_("First response on time"),
                       _("First-response clocks of tickets they own, due today and decided: the share met (the SLA dashboard's count)."),
                       lambda r: r.facts.first_response_compliance),
    "callbacks": (_("Callbacks on time"), _("Their callbacks due today (cancelled left out): the share done by the due time."),
                  lambda r: r.facts.callbacks_on_time),
    "csat": (_("Satisfaction"), _("Survey answers submitted today on tickets they handled: average overall score (1–5), "
                                  "how many, and the share scoring 4–5."),
             lambda r: r.facts.csat),
    "complaints": (_("Valid complaints"), _("Complaints opened today that a supervisor found valid against this person."),
                   lambda r: r.facts.valid_complaints),
    "at_risk": (_("SLA at risk"), _("Their open tickets with a running clock past its warning or deadline, now."),
                lambda r: r.facts.sla_at_risk),
    "fcr": (_("First-contact resolution"), _("Last 30 days, contacts whose N-day window has passed (see below)."),
            lambda r: r.fcr_recent.first_contact_resolution if r.fcr_recent else None),
    "name": (_("Staff"), "", lambda r: r.name.lower()),
}
FCR_RECENT_DAYS = 30


def board_rows(*, people: list, now: datetime, sort: str = "name", descending: bool = False) -> list[BoardRow]:
    """The board's rows for these people (already read): today's facts, first-contact resolution over the
    last FCR_RECENT_DAYS (today's contacts are still inside their window) and today's alerts.
    Fixed queries: 2 × STAFF_FACTS_QUERIES would be too many for a 30-second poll, so the 30-day FCR is
    one more fcr_by_person query and the alerts one more."""
    today = local_today(now)
    start, end = local_day_bounds(today)
    ids = [u.pk for u in people]
    facts = staff_facts(user_ids=ids, start=start, end=end, now=now)
    recent_start = local_day_bounds(today - timedelta(days=FCR_RECENT_DAYS))[0]
    recent = {uid: StaffFacts() for uid in ids}
    for uid, (ok, judged) in fcr_by_person(start=recent_start, end=end, now=now, user_ids=ids).items():
        recent[uid].fcr_resolved, recent[uid].fcr_judged = ok, judged
        recent[uid].first_contact_resolution = _pct(ok, judged)
    alerts: dict[int, list] = {}
    for a in alerts_today(user_ids=ids, day=today):
        alerts.setdefault(a.person_id, []).append(a)
    rows = [BoardRow(user=u, facts=facts[u.pk], fcr_recent=recent[u.pk], alerts=alerts.get(u.pk, [])) for u in people]
    key = BOARD_COLUMNS.get(sort, BOARD_COLUMNS["name"])[2]
    # None (nothing to measure) sorts last either way.
    present = [r for r in rows if key(r) is not None]
    missing = [r for r in rows if key(r) is None]
    present.sort(key=key, reverse=descending)
    return present + missing


def alerts_today(*, user_ids, day: date):
    """Alerts fired on a local day for these people, newest first (one query)."""
    from .models import AlertFiring

    return list(AlertFiring.objects.filter(day=day, person_id__in=list(user_ids))
                .select_related("rule").order_by("-fired_at", "-pk"))
