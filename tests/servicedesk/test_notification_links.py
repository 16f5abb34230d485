"""Every link a person is sent opens for them (issue 11 item 2), table-driven.

SCENARIOS is the registry: one entry per way the code sends notifications, each declaring the kinds
it covers (default: its name) and run for every role that can receive them. A scenario drives the
real services into sending; the test then signs in as EACH recipient of every notification created
and opens its link: it must answer 200 (not "You do not have access", not 404), and each
notification must be of a kind the scenario declares.
test_every_notification_kind_in_the_code_has_a_scenario reads the apps' source: a new kind passed
to notify / notify_many / Note (or to a helper that forwards its `kind`) fails it until a scenario
covers it. To cover a new kind, add a function with @scenario("name", roles=(...), kinds=(...)).
"""
import ast
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings

from servicedesk.models import Notification, StaffProfile, Team

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 16, 9, 0, tzinfo=TZ)  # a Monday


@dataclass
class Ctx:
    personas: object
    customer_factory: object
    role: str
    team: Team


@dataclass(frozen=True)
class Scenario:
    roles: tuple
    kinds: tuple
    run: object


SCENARIOS: dict[str, Scenario] = {}


def scenario(name: str, roles: tuple, kinds: tuple = ()):
    def register(fn):
        SCENARIOS[name] = Scenario(roles=roles, kinds=tuple(kinds) or (name,), run=fn)
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


@scenario("sla_warning_breach_level2", roles=("agent", "supervisor"), kinds=("sla_warning", "sla_breach", "sla_level2"))
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


@scenario("monitoring_alert", roles=("supervisor",))
def _monitoring_alert(ctx):
    from monitoring.services import anomalies_evaluate, rule_create
    from tickets.models import Complaint

    rule_create(actor=ctx.personas.manager, name="Valid complaint", kind="valid_complaint", threshold=1, now=T0)
    Complaint.objects.create(ticket=_ticket(ctx), category="attitude", staff_member=ctx.personas.agent,
                             staff_complaint_valid=True)
    assert anomalies_evaluate(now=T0 + timedelta(minutes=5)) == 1


@scenario("customer_reply", roles=("agent", "supervisor"))
def _customer_on_status_page(ctx):
    """The customer writes, asks for a call back and says it is not fixed (portal/services.py): the
    assignee is told, or with nobody assigned the team's supervisor."""
    from portal import services

    assignee = ctx.personas.agent if ctx.role == "agent" else None
    t = _ticket(ctx, assignee=assignee, resolve_at=T0 + timedelta(hours=2))
    services.customer_reply_add(ticket=t, body="还在漏水", now=T0 + timedelta(hours=3))
    services.customer_callback_request(ticket=t, now=T0 + timedelta(hours=3))
    services.customer_confirm(ticket=t, fixed=False, now=T0 + timedelta(hours=4))


# --- field dispatch (dispatch/services.py) ----------------------------------------------------------
def _work_order(ctx, *, with_technician: bool, others=()):
    """A repair work order in a region and skill; with_technician: the technician persona covers both.
    others: more accounts given a technician profile for that skill and region, first in line (never
    had a job) — people who must not be sent a job they cannot open."""
    from customers.models import Asset, Region
    from dispatch.models import Skill, Technician
    from dispatch.services import workorder_create
    from tickets.services import ticket_create

    region = Region.objects.create(name="Chaoyang", code="chaoyang")
    skill = Skill.objects.create(name="Air conditioning", code="aircon")
    for user, last in [(ctx.personas.technician, T0 - timedelta(days=1))] * with_technician + [(u, None) for u in others]:
        tech = Technician.objects.create(user=user, last_assigned_at=last)
        tech.skills.set([skill])
        tech.regions.set([region])
    customer = ctx.customer_factory(name="Wang Fang", address="Jianguo Road 88", region=region)
    asset = Asset.objects.create(customer=customer, product="Air conditioner", model="KFR-35GW", serial_number="SN1",
                                 warranty_end=(T0 + timedelta(days=100)).date())
    ticket = ticket_create(customer=customer, kind="repair", subject="Not cooling", created_by=ctx.personas.frontdesk,
                           team=ctx.team, assignee=ctx.personas.agent, asset=asset, now=T0)
    return workorder_create(ticket=ticket, created_by=ctx.personas.agent, skill=skill, estimated_value=Decimal("1000"),
                            window_start=T0 + timedelta(hours=2), window_end=T0 + timedelta(hours=4), now=T0)


@scenario("job_offer", roles=("technician",))
def _job_offer(ctx):
    from dispatch.services import workorder_auto_dispatch

    workorder_auto_dispatch(work_order=_work_order(ctx, with_technician=True), actor=ctx.personas.agent, now=T0)


@scenario("job_offer_past_profiles", roles=("technician",), kinds=("job_offer",))
def _job_offer_past_profiles(ctx):
    """Technician profiles left on accounts that cannot work on jobs — one outside the technician role
    (moved to the desk), one switched off — are first in line by fairness: the offer still goes to the
    technician who can open it."""
    from django.contrib.auth import get_user_model

    from dispatch.services import workorder_auto_dispatch

    users = get_user_model().objects
    moved = users.create_user("moved_to_desk", password="pw")
    gone = users.create_user("left_company", password="pw", is_active=False)
    gone.groups.add(*ctx.personas.technician.groups.all())
    wo = _work_order(ctx, with_technician=True, others=(moved, gone))
    workorder_auto_dispatch(work_order=wo, actor=ctx.personas.agent, now=T0)


@scenario("job_offer_forced", roles=("technician",), kinds=("job_offer",))
def _job_offer_forced(ctx):
    from dispatch.models import Technician
    from dispatch.services import workorder_force_dispatch

    wo = _work_order(ctx, with_technician=True)
    workorder_force_dispatch(work_order=wo, technician=Technician.objects.get(user=ctx.personas.technician),
                             actor=ctx.personas.supervisor, reason="The customer asked for him", now=T0)


@scenario("dispatch_escalation", roles=("supervisor", "manager"))
def _dispatch_escalation(ctx):
    from dispatch.services import escalations_check_due, workorder_auto_dispatch

    wo = _work_order(ctx, with_technician=False)
    if ctx.role == "supervisor":  # nobody can take it: the supervisors hear at once
        workorder_auto_dispatch(work_order=wo, actor=ctx.personas.agent, now=T0)
    else:  # not started by the end of its window: level 2, the managers
        escalations_check_due(now=T0 + timedelta(hours=5))


# --- knowledge base (knowledge/services.py) -----------------------------------------------------------
@scenario("knowledge_review", roles=("agent", "supervisor", "manager"))
def _knowledge_review(ctx):
    from knowledge.services import ArticleInput, article_create, article_publish, review_reminders_send

    owner = ctx.personas.by_role(ctx.role)
    article = article_create(data=ArticleInput(title="Descaling the boiler", body="Turn it off first.",
                                               review_by=date(2026, 11, 1)), author=owner, now=T0 - timedelta(days=60))
    article_publish(article=article, actor=owner, now=T0 - timedelta(days=60))
    review_reminders_send(now=T0)


# --- complaints (tickets/services.py, the hand-offs) ----------------------------------------------------
@scenario("complaint", roles=("agent", "supervisor", "manager", "none"), kinds=("complaint", "complaint_result"))
def _complaint(ctx):
    """Walk a complaint through every stage. role: who decides (supervisor or manager), or the agent's
    hand-offs; "none" = no assignee, so the decided complaint goes back to the deciders."""
    from tickets import services
    from tickets.models import Department, Ticket

    agent, decider = ctx.personas.agent, ctx.personas.supervisor
    if ctx.role == "manager":
        decider = ctx.personas.manager
    department = Department.objects.create(name="After-sales")
    t = services.ticket_create(customer=ctx.customer_factory(name="Zhao Min"), kind="complaint",
                               subject="Rude engineer", created_by=ctx.personas.frontdesk, team=ctx.team,
                               assignee=None if ctx.role == "none" else agent, now=T0)
    worker = agent if ctx.role != "none" else ctx.personas.agent2
    services.ticket_transition(ticket=t, to_status=Ticket.Status.ACKNOWLEDGED, actor=worker, now=T0 + timedelta(minutes=5))
    services.complaint_record_investigation(ticket=t, actor=worker, findings="Confirmed.", department=department,
                                            now=T0 + timedelta(hours=1))
    services.complaint_decide(ticket=t, actor=decider, decision="Apologise.", remedy="apology",
                              department=department, now=T0 + timedelta(hours=2))
    # someone other than the assignee sends the result, so the assignee hears the return visit is next
    services.complaint_send_solution(ticket=t, actor=ctx.personas.agent2, body="We apologise.",
                                     now=T0 + timedelta(hours=3))
    services.complaint_record_return_visit(ticket=t, actor=worker, outcome="satisfied", notes="Happy now.",
                                           now=T0 + timedelta(days=1))
    t.refresh_from_db()
    services.ticket_resolve(ticket=t, actor=worker, solution="Apologised.", now=T0 + timedelta(days=1, minutes=5))
    services.ticket_transition(ticket=t, to_status=Ticket.Status.CLOSED, actor=worker, now=T0 + timedelta(days=1, minutes=10))


# --- staff assessment (assessment/services.py: cycle_open rings each evaluator once) ----------------------
@scenario("assessment_forms", roles=("supervisor", "agent"))
def _assessment_forms(ctx):
    from assessment.models import EvaluatorKind
    from assessment.services import cycle_open, evaluator_assign

    # the supervisor evaluates their team by default; the agent is set as a peer of agent2
    evaluator_assign(person=ctx.personas.agent2, evaluator=ctx.personas.agent,
                     kind=EvaluatorKind.objects.get(code="peer"), by=ctx.personas.manager, now=T0)
    cycle_open(month=T0.date(), by=ctx.personas.manager, now=T0)


# --- quality (quality/services.py: slips, the daily sample, findings) ------------------------------------
@scenario("quality", roles=("agent", "supervisor", "manager"))
def _quality(ctx):
    from quality import services
    from quality.models import ChecklistItem, DemeritCategory, InspectionTask, SeverityLevel

    agent, supervisor, manager = ctx.personas.agent, ctx.personas.supervisor, ctx.personas.manager
    slip = services.slip_record(person=agent, category=DemeritCategory.objects.first(), description="Late report",
                                occurred_at=T0, recorded_by=manager, now=T0 + timedelta(hours=1))
    services.slip_acknowledge(slip=slip, by=agent, response="The form changed", now=T0 + timedelta(hours=2))
    services.slip_withdraw(slip=slip, by=manager, reason="Form changed that week", now=T0 + timedelta(hours=3))
    _ticket(ctx, assignee=agent, resolve_at=T0 + timedelta(hours=4))
    sample = services.sample_create_daily(now=T0 + timedelta(days=1))
    task = InspectionTask.objects.get(sample=sample)
    finding = services.inspection_record(task=task, inspector=supervisor, now=T0 + timedelta(days=1, hours=1),
                                         results=[(ChecklistItem.objects.first(), SeverityLevel.objects.first(), "x")])[0]
    services.finding_respond(finding=finding, by=agent, response="It was in the notes", now=T0 + timedelta(days=1, hours=2))
    services.finding_overturn(finding=finding, by=manager, reason="Agreed", now=T0 + timedelta(days=1, hours=3))


# --- renewals (contracts/services.py: the reminder sweep rings the account manager, else the supervisors) --
@scenario("renewals", roles=("agent", "supervisor"), kinds=("renewal_task", "renewal_notice"))
def _renewals(ctx):
    from contracts.models import ContractLevel
    from contracts.services import contract_save, reminders_sweep
    from customers.models import Customer

    customer = ctx.customer_factory(name="Renewal Co")
    if ctx.role == "agent":  # the agent is its account manager; for the supervisor it has none
        Customer.objects.filter(pk=customer.pk).update(account_manager=ctx.personas.agent)
        customer.refresh_from_db()
    contract_save(by=ctx.personas.supervisor, customer=customer, level=ContractLevel.objects.order_by("pk").first(),
                  start_date=date(2026, 1, 1), end_date=T0.date() + timedelta(days=5), price=Decimal("100"))
    reminders_sweep(now=T0)


# --- leads (leads/services.py: the second confirmation asked, an outcome sent back) ----------------------
@scenario("leads", roles=("supervisor", "manager", "agent"), kinds=("leads_to_confirm", "leads_returned"))
def _leads(ctx):
    from leads import services

    # the agent's outcome goes to their team supervisor; the supervisor's own goes to the managers
    recorder = ctx.personas.supervisor if ctx.role == "manager" else ctx.personas.agent
    ticket = _ticket(ctx, assignee=recorder)
    outcome = services.lead_record(ticket=ticket, by=recorder, outcome="lost", reason="price",
                                   customer_words="Too dear", now=T0 + timedelta(hours=1))
    confirmer = ctx.personas.manager if recorder == ctx.personas.supervisor else ctx.personas.supervisor
    services.lead_return(outcome=outcome, by=confirmer, reason="Which competitor?", now=T0 + timedelta(hours=2))


# --- improvement (improvement/services.py: an action given to its owner, overdue once) -------------------
@scenario("improvement_actions", roles=("agent", "supervisor", "technician"))
def _improvement_actions(ctx):
    from improvement import services

    owner = ctx.personas.by_role(ctx.role)
    services.action_create(problem="Lunch queue", measure="Stagger breaks", owner=owner, due_date=T0.date(),
                           by=ctx.personas.manager, now=T0)
    services.actions_overdue_notify(now=T0 + timedelta(days=2))

# --- planned maintenance (maintenance/services.py: a missed visit rings the account manager and supervisors) ---
@scenario("maintenance_missed", roles=("agent", "supervisor"))
def _maintenance_missed(ctx):
    from customers.models import Region
    from dispatch.models import Skill
    from maintenance.services import plan_create, visits_create_due, visits_escalate_missed

    region = Region.objects.create(name="Haidian", code="haidian")
    customer = ctx.customer_factory(name="Acme Mall", address="Zhongguancun 1", region=region)
    customer.account_manager = ctx.personas.agent  # the key account's account manager
    customer.save(update_fields=["account_manager"])
    ctx.personas.supervisor  # noqa: B018 — the supervisors hear too
    plan_create(customer=customer, created_by=ctx.personas.supervisor, title="Chiller service", kind="quarterly",
                start_on=(T0 + timedelta(days=2)).date(), checklist="Clean filters",
                skill=Skill.objects.create(name="Chillers", code="chillers"), now=T0)
    visits_create_due(now=T0, dispatch=False)
    visits_escalate_missed(now=T0 + timedelta(days=3))


# --- issue 17: the green channel and first-inquiry ownership (tickets/services.py) -----------------------
@scenario("key_account_fault", roles=("agent", "supervisor", "manager"))
def _key_account_fault(ctx):
    from tickets.services import ticket_create

    manager = ctx.personas.by_role(ctx.role)
    customer = ctx.customer_factory(name="Huaxin Hotel", is_key_account=True)
    customer.account_manager = manager
    customer.save(update_fields=["account_manager"])
    ticket_create(customer=customer, kind="repair", subject="Chiller down", created_by=ctx.personas.frontdesk,
                  team=ctx.team, now=T0)


@scenario("first_inquiry_progress", roles=("agent", "supervisor"))
def _first_inquiry_progress(ctx):
    from tickets.services import ticket_create, ticket_transition

    owner = ctx.personas.by_role(ctx.role)
    other = ctx.personas.agent2
    t = ticket_create(customer=ctx.customer_factory(name="Sun Li"), kind="inquiry", subject="Opening hours",
                      created_by=owner, team=ctx.team, assignee=other, now=T0)
    ticket_transition(ticket=t, to_status="acknowledged", actor=other, now=T0 + timedelta(minutes=5))


# --- departments that answer for complaints (tickets/services.py, issue 17) ------------------------------
@scenario("department_handoff", roles=("technician", "agent", "supervisor", "manager"),
          kinds=("department_handoff", "department_answer", "sla_warning", "sla_breach", "sla_level2"))
def _department_handoff(ctx):
    """A hand-off reaches the department's head and members (a technician or an agent: neither needs
    the ticket lists to open it); its silence warns them, breaches to the head, level 2 to the managers;
    a refusal and then findings go back to the supervisor."""
    from sla.services import sla_sweep
    from tickets import services
    from tickets.models import ComplaintHandoff, Department

    head = ctx.personas.agent if ctx.role == "agent" else ctx.personas.technician
    department = Department.objects.create(name="质量部", name_en="Quality", head=head)
    department.members.add(ctx.personas.technician2)
    t = services.ticket_create(customer=ctx.customer_factory(name="Qian Yu"), kind="complaint",
                               subject="Wrong part fitted", created_by=ctx.personas.frontdesk, team=ctx.team, now=T0)
    services.complaint_update(ticket=t, actor=ctx.personas.supervisor, category="quality", department=department,
                              now=T0 + timedelta(minutes=5))
    sla_sweep(now=T0 + timedelta(days=3))  # warning, breach and level 2 of the department's clocks
    first = ComplaintHandoff.objects.get(ticket=t)
    services.complaint_handoff_refuse(handoff=first, actor=ctx.personas.technician2, reason="Not our line",
                                      now=T0 + timedelta(days=3, minutes=5))
    services.complaint_update(ticket=t, actor=ctx.personas.supervisor, category="quality", department=department,
                              now=T0 + timedelta(days=3, minutes=10))
    again = ComplaintHandoff.objects.filter(ticket=t).latest("id")
    services.complaint_handoff_report_findings(handoff=again, actor=ctx.personas.technician2, findings="Wrong part.",
                                               now=T0 + timedelta(days=3, minutes=20))


# Progress news to a ticket's first-inquiry owner (issue 17) follows any status change someone else makes,
# so any scenario's ticket may send it (often to the front desk, who took the call): not work, and its
# link must still open for the recipient.
INFORMATIONAL_KINDS = {"first_inquiry_progress"}


@pytest.fixture
def team(personas):
    team = Team.objects.create(name="Repairs", supervisor=personas.supervisor)
    for person in (personas.agent, personas.agent2, personas.frontdesk):
        StaffProfile.objects.update_or_create(user=person, defaults={"team": team})
    personas.manager, personas.technician  # exist: level 2 reaches the managers
    return team


CASES = [(name, role) for name, s in SCENARIOS.items() for role in s.roles]


@pytest.mark.parametrize(("name", "role"), CASES, ids=[f"{k}-{r}" for k, r in CASES])
def test_every_notification_link_opens_for_its_recipient(name, role, personas, customer_factory, team, client,
                                                         settings):
    # given the notifications a real scenario of this kind sends
    before = set(Notification.objects.values_list("pk", flat=True))
    SCENARIOS[name].run(Ctx(personas=personas, customer_factory=customer_factory, role=role, team=team))
    sent = list(Notification.objects.exclude(pk__in=before).select_related("recipient"))
    assert sent, f"scenario {name} sent nothing"
    if role in ("agent", "supervisor", "manager", "technician"):
        assert personas.by_role(role) in {n.recipient for n in sent}, f"{name}: nothing reached the {role}"
    # then each recipient can open what they were sent, and it is a kind the scenario covers
    for n in sent:
        informational = n.kind in INFORMATIONAL_KINDS
        assert informational or n.kind in SCENARIOS[name].kinds, (name, n.kind, n.message)
        assert informational or n.recipient != personas.frontdesk, f"{name}: work sent to the front desk: {n.message}"
        client.force_login(n.recipient)
        response = client.get(n.url)
        assert response.status_code == 200, (name, n.recipient.username, n.url, n.message)


# --- the registry is complete: every kind the code sends has a scenario ---------------------------------
NOTIFY_CALLS = {"notify", "notify_many", "Note"}
ROOT = Path(django_settings.BASE_DIR)


def _app_sources() -> dict[Path, ast.Module]:
    """The apps' own modules: every package at the top of the project, minus tests and migrations."""
    trees = {}
    apps = [d for d in ROOT.iterdir() if (d / "__init__.py").exists() and d.name != "tests"]
    for path in sorted(p for app in apps for p in app.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "migrations" in parts or "tests" in parts or path.name.startswith("test_"):
            continue
        if parts in (("servicedesk", "services.py"), ("servicedesk", "preferences.py")):
            continue  # notify / notify_many / Note themselves: they pass on whatever kind they are given
        trees[path] = ast.parse(path.read_text(), filename=str(path))
    return trees


def _name(func) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _kind_arg(call: ast.Call):
    return next((kw.value for kw in call.keywords if kw.arg == "kind"), None)


def _forwarders(trees) -> set[str]:
    """Helpers that pass their own `kind` parameter on to a notification call (dispatch's _notify_role,
    the SLA sweep's _Outbox.add): their callers' kinds count as sent too. Repeated until nothing new."""
    calls, grew = set(NOTIFY_CALLS), True
    while grew:
        grew = False
        for tree in trees.values():
            for fn in ast.walk(tree):
                if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) or fn.name in calls:
                    continue
                params = {a.arg for a in (*fn.args.args, *fn.args.kwonlyargs)}
                for call in ast.walk(fn):
                    value = isinstance(call, ast.Call) and _name(call.func) in calls and _kind_arg(call)
                    if isinstance(value, ast.Name) and value.id in params:
                        calls.add(fn.name)
                        grew = True
                        break
    return calls


def _module_constants(tree: ast.Module) -> dict[str, ast.expr]:
    return {target.id: node.value for node in tree.body if isinstance(node, ast.Assign)
            for target in node.targets if isinstance(target, ast.Name)}


def _literal_kinds(value, constants) -> set[str] | None:
    """The strings a kind= expression can be: a literal, a module constant, or a value of a module dict
    (LEVEL_KIND[level]). None when it cannot be read from the source."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return {value.value}
    if isinstance(value, ast.Name) and value.id in constants:
        return _literal_kinds(constants[value.id], constants)
    if isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name):
        table = constants.get(value.value.id)
        if isinstance(table, ast.Dict):
            found = [_literal_kinds(v, constants) for v in table.values]
            return set().union(*found) if found and None not in found else None
    return None


def code_notification_kinds() -> tuple[set[str], list[str]]:
    """(every kind the apps send, the calls that send without a readable kind)."""
    trees = _app_sources()
    calls = _forwarders(trees)
    kinds, problems = set(), set()
    for path, tree in trees.items():
        constants = _module_constants(tree)
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            params = {a.arg for a in (*fn.args.args, *fn.args.kwonlyargs)}
            # Notes built in the same top-level function or class (the SLA sweep's _Outbox collects them)
            top = next(t for t in tree.body if t.lineno <= fn.lineno <= t.end_lineno)
            builds_notes = any(isinstance(c, ast.Call) and _name(c.func) == "Note" for c in ast.walk(top))
            for call in ast.walk(fn):
                if not isinstance(call, ast.Call) or _name(call.func) not in calls:
                    continue
                where = f"{path.relative_to(ROOT)}:{call.lineno}"
                value = _kind_arg(call)
                if value is None and _name(call.func) not in NOTIFY_CALLS:
                    continue  # a forwarder's name (e.g. add) is only taken as one when it is given a kind
                if value is None:
                    # notify_many of Notes carries each Note's kind (checked where the Note is built);
                    # anything else would be filed under "general", which no scenario can stand for.
                    if not (_name(call.func) == "notify_many" and builds_notes):
                        problems.add(f"{where}: {_name(call.func)}() without kind=")
                    continue
                if isinstance(value, ast.Name) and value.id in params and fn.name in calls:
                    continue  # a forwarder: its callers' kinds are collected where they call it
                found = _literal_kinds(value, constants)
                if found is None:
                    problems.add(f"{where}: kind= is not a literal string")
                else:
                    kinds |= found
    return kinds, sorted(problems)


def test_the_source_reader_sees_the_known_senders():
    # the reader must actually find kinds: the ones sent through a helper or a table included
    kinds, _problems = code_notification_kinds()
    assert {"job_offer", "dispatch_escalation", "sla_warning", "sla_breach", "sla_level2", "callback_due",
            "knowledge_review", "complaint"} <= kinds


def test_every_notification_kind_in_the_code_has_a_scenario():
    kinds, problems = code_notification_kinds()
    assert not problems, "give every notification a kind (servicedesk/preferences.py KINDS):\n" + "\n".join(problems)
    covered = set(SCENARIOS) | {k for s in SCENARIOS.values() for k in s.kinds}
    assert kinds <= covered, f"no scenario in SCENARIOS sends: {sorted(kinds - covered)}"
