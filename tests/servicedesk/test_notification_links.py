"""Every link a person is sent opens for them (issue 11 item 2), table-driven.

SCENARIOS is the registry: one entry per kind of notification the code creates (grep notify( /
notify_many( across the apps), each run for every role that can receive it. A scenario drives the
real services into sending its notifications; the test then signs in as EACH recipient of every
notification created and opens its link: it must answer 200 (not "You do not have access", not 404).
To cover a new kind, add a function with @scenario("kind", roles=(...)).
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from servicedesk.models import Notification, StaffProfile, Team

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 16, 9, 0, tzinfo=TZ)


@dataclass
class Ctx:
    personas: object
    customer_factory: object
    role: str
    team: Team


SCENARIOS: dict[str, tuple[tuple, object]] = {}


def scenario(kind: str, roles: tuple):
    def register(fn):
        SCENARIOS[kind] = (roles, fn)
        return fn
    return register


def _ticket(ctx, *, assignee=None, resolve_at=None, created_by=None):
    from tickets.services import ticket_create, ticket_transition

    # the customer is owned by the front desk (first contact): they must never get the work
    customer = ctx.customer_factory(name="Li Wei")
    t = ticket_create(customer=customer, kind="repair", subject="Washer leaks", created_by=ctx.personas.frontdesk,
                      team=ctx.team, assignee=assignee, now=T0)
    if resolve_at:
        t = ticket_transition(ticket=t, to_status="resolved", actor=assignee or ctx.personas.supervisor, now=resolve_at)
    return t


@scenario("callback_due", roles=("agent", "supervisor", "none"))
def _callback_due(ctx):
    from followups.services import callback_reminders_sweep

    assignee = None if ctx.role == "none" else ctx.personas.by_role(ctx.role)
    _ticket(ctx, assignee=assignee, resolve_at=T0 + timedelta(hours=2))
    callback_reminders_sweep(now=T0 + timedelta(days=10))


@scenario("callback_digest", roles=("agent", "none"))
def _callback_digest(ctx):
    from followups.services import callback_digests_send

    _ticket(ctx, assignee=None if ctx.role == "none" else ctx.personas.agent, resolve_at=T0 + timedelta(hours=2))
    callback_digests_send(now=T0 + timedelta(days=10))


@scenario("sla_warning_breach_level2", roles=("agent", "supervisor"))
def _sla(ctx):
    from sla.services import sla_sweep

    _ticket(ctx, assignee=ctx.personas.by_role(ctx.role))
    for hours in (20, 30, 60, 200):
        sla_sweep(now=T0 + timedelta(hours=hours))


@scenario("survey_low_score", roles=("supervisor",))
def _survey_low_score(ctx):
    from followups.models import SurveyInvitation
    from followups.services import survey_invitation_create, survey_submit

    t = _ticket(ctx, assignee=ctx.personas.agent, resolve_at=T0 + timedelta(hours=2))
    invitation = (SurveyInvitation.objects.filter(ticket=t).first()
                  or survey_invitation_create(ticket=t, now=T0 + timedelta(hours=2)))
    scores = dict.fromkeys(("overall", "reliability", "responsiveness", "assurance", "empathy", "tangibles"), 1)
    survey_submit(invitation=invitation, answers={**scores, "recommend": 0, "comment": "Nobody came"},
                  now=T0 + timedelta(hours=3))


@pytest.fixture
def team(personas):
    team = Team.objects.create(name="Repairs", supervisor=personas.supervisor)
    for person in (personas.agent, personas.agent2, personas.frontdesk):
        StaffProfile.objects.update_or_create(user=person, defaults={"team": team})
    personas.manager, personas.technician  # exist: level 2 reaches the managers
    return team


CASES = [(kind, role) for kind, (roles, _fn) in SCENARIOS.items() for role in roles]


@pytest.mark.parametrize(("kind", "role"), CASES, ids=[f"{k}-{r}" for k, r in CASES])
def test_every_notification_link_opens_for_its_recipient(kind, role, personas, customer_factory, team, client,
                                                         settings):
    # given the notifications a real scenario of this kind sends
    before = set(Notification.objects.values_list("pk", flat=True))
    SCENARIOS[kind][1](Ctx(personas=personas, customer_factory=customer_factory, role=role, team=team))
    sent = list(Notification.objects.exclude(pk__in=before).select_related("recipient"))
    assert sent, f"scenario {kind} sent nothing"
    # then each recipient can open what they were sent
    for n in sent:
        assert n.recipient != personas.frontdesk, f"{kind}: work sent to the front desk: {n.message}"
        client.force_login(n.recipient)
        response = client.get(n.url)
        assert response.status_code == 200, (kind, n.recipient.username, n.url, n.message)
