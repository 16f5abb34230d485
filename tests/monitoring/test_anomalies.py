"""Anomaly rules: each kind fires on known data, once per person per rule per local day, to the right bell."""
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from monitoring.models import AlertFiring, AnomalyRule, AnomalyRuleEvent
from monitoring.services import anomalies_evaluate, rule_create, rule_update

from .conftest import NOW, L


def bells(user):
    from servicedesk.models import Notification

    return list(Notification.objects.filter(recipient=user).order_by("pk"))


@pytest.fixture
def team(personas):
    from servicedesk.models import StaffProfile, Team

    t = Team.objects.create(name="维修组", name_en="Repairs", supervisor=personas.supervisor)
    StaffProfile.objects.create(user=personas.agent, team=t)
    return t


def complaint_rule(personas):
    return rule_create(actor=personas.manager, name="Complaint", kind=AnomalyRule.Kind.VALID_COMPLAINT, threshold=1)


@time_machine.travel(NOW, tick=False)
def test_a_valid_complaint_alerts_the_team_supervisor_once_a_day_and_again_the_next(build, personas, team):
    complaint_rule(personas)
    build.complaint(personas.agent, L(11, 18, 9))
    # when: the 5-minute job runs twice
    assert anomalies_evaluate() == 1
    assert anomalies_evaluate() == 0
    # then: one bell, for the supervisor, naming the person
    got = bells(personas.supervisor)
    assert len(got) == 1 and "Agent" in got[0].message and got[0].url == reverse("monitoring:board")
    assert bells(personas.manager) == []
    assert AlertFiring.objects.get().day == NOW.date()
    # the next local day, a new complaint fires again
    with time_machine.travel(L(11, 19, 0, 5), tick=False):
        build.complaint(personas.agent, L(11, 19, 0, 1))
        assert anomalies_evaluate() == 1
    assert len(bells(personas.supervisor)) == 2
    # 00:05 in Shanghai is still the 18th in UTC: the alert belongs to the local day
    assert sorted(AlertFiring.objects.values_list("day", flat=True)) == [L(11, 18).date(), L(11, 19).date()]


@time_machine.travel(NOW, tick=False)
def test_without_a_team_supervisor_the_managers_hear(build, personas):
    complaint_rule(personas)
    build.complaint(personas.frontdesk, L(11, 18, 9))
    assert anomalies_evaluate() == 1
    assert len(bells(personas.manager)) == 1
    assert bells(personas.supervisor) == []


@time_machine.travel(NOW, tick=False)
def test_inactive_rules_do_not_fire(build, personas, team):
    rule = complaint_rule(personas)
    rule_update(rule=rule, actor=personas.manager, active=False)
    build.complaint(personas.agent, L(11, 18, 9))
    assert anomalies_evaluate() == 0 and bells(personas.supervisor) == []


@time_machine.travel(NOW, tick=False)
def test_handling_time_against_the_persons_own_norm(build, personas, team):
    rule_create(actor=personas.manager, name="Slow", kind=AnomalyRule.Kind.HANDLING_TIME, threshold=3,
                factor=Decimal("2.0"))
    agent, desk = personas.agent, personas.frontdesk
    for d in (1, 5, 10):  # norm: 4 minutes, inside the 30 days before today
        build.contact(agent, L(11, d, 10), minutes=4)
        build.contact(desk, L(11, d, 10), minutes=4)
    build.contact(agent, L(10, 1, 10), minutes=1)  # older than 30 days: not in the norm
    for h in (9, 10, 11):  # today: 9 minutes each, 2.25 × the norm, 3 contacts
        build.contact(agent, L(11, 18, h), minutes=9)
    for h in (9, 10):  # the desk: slow too, but only 2 contacts
        build.contact(desk, L(11, 18, h), minutes=20)
    assert anomalies_evaluate() == 1
    alert = AlertFiring.objects.get()
    assert alert.person == agent
    assert alert.params["today"] == 9.0 and alert.params["norm"] == 4.0
    assert "above 2× their 30-day norm of 4.0 min" in alert.text()


@time_machine.travel(NOW, tick=False)
def test_handling_time_below_the_factor_does_not_fire(build, personas, team):
    rule_create(actor=personas.manager, name="Slow", kind=AnomalyRule.Kind.HANDLING_TIME, threshold=1,
                factor=Decimal("3"))
    build.contact(personas.agent, L(11, 10, 10), minutes=4)
    build.contact(personas.agent, L(11, 18, 10), minutes=11)  # 2.75 × the norm
    assert anomalies_evaluate() == 0


@time_machine.travel(NOW, tick=False)
def test_two_low_scores_in_a_day(build, personas, team):
    rule_create(actor=personas.manager, name="Low", kind=AnomalyRule.Kind.LOW_SCORES, threshold=2, max_score=2)
    build.survey(personas.agent, L(11, 18, 9), 2)
    build.survey(personas.agent, L(11, 17, 23, 59), 1)  # yesterday
    build.survey(personas.agent, L(11, 18, 10), 3)  # not low
    assert anomalies_evaluate() == 0
    build.survey(personas.agent, L(11, 18, 11), 1)
    assert anomalies_evaluate() == 1
    assert "2 survey answers today scored 2 or lower" in bells(personas.supervisor)[0].message


@time_machine.travel(NOW, tick=False)
def test_sla_at_risk_above_k(build, personas, team):
    rule_create(actor=personas.manager, name="Risk", kind=AnomalyRule.Kind.SLA_AT_RISK, threshold=1)
    t1 = build.ticket(owner=personas.agent)
    build.clock(t1, NOW + timedelta(hours=1), warning=NOW - timedelta(minutes=1))
    assert anomalies_evaluate() == 0  # 1 is not above 1
    t2 = build.ticket(owner=personas.agent)
    build.clock(t2, NOW - timedelta(minutes=1))
    assert anomalies_evaluate() == 1


@time_machine.travel(NOW, tick=False)
def test_the_board_shows_todays_alerts(build, personas, team, client_for):
    complaint_rule(personas)
    build.complaint(personas.agent, L(11, 18, 9))
    anomalies_evaluate()
    page = client_for("supervisor").get(reverse("monitoring:board")).content.decode()
    assert "Alerts today" in page and "1 valid complaints today" in page


@time_machine.travel(NOW, tick=False)
def test_the_beat_task_runs_the_service(build, personas, team):
    from monitoring.tasks import anomalies_evaluate_task
    from servicedesk.celery import PERIODIC_TASKS

    assert PERIODIC_TASKS["monitoring-anomalies"] == "monitoring.tasks.anomalies_evaluate_task"
    complaint_rule(personas)
    build.complaint(personas.agent, L(11, 18, 9))
    assert anomalies_evaluate_task.delay().get() == 1
    assert anomalies_evaluate_task.delay().get() == 0


@pytest.mark.parametrize("people", [1, 50])
@time_machine.travel(NOW, tick=False)
def test_evaluation_queries_are_fixed(build, personas, people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from django.contrib.auth.models import Group

    from tests.conftest import make_user

    for kind in AnomalyRule.Kind.values:
        rule_create(actor=personas.manager, name=kind, kind=kind, threshold=0 if kind == "sla_at_risk" else 1)
    group = Group.objects.get(name="agent")
    for i in range(people):
        u = make_user(f"staff{i}", None)
        u.groups.add(group)
        build.complaint(u, L(11, 18, 9))
        build.survey(u, L(11, 18, 9), 1)
        build.contact(u, L(11, 10, 9), minutes=1)
        build.contact(u, L(11, 18, 9), minutes=5)
        t = build.ticket(owner=u)
        build.clock(t, NOW - timedelta(minutes=1))
    personas.manager  # noqa: B018 — recipients exist before counting
    with CaptureQueriesContext(connection) as ctx:
        fired = anomalies_evaluate()
    assert fired == 4 * people
    # Reads are fixed: rules, people, staff_facts (8), norms, low scores, the inserted alerts, recipients
    # (2), and the bell's languages, roles and preferences (3). Writes are bulk INSERTs, split only by the
    # backend's parameter limit (SQLite: a few hundred rows each), never one per person.
    sql = [q["sql"] for q in ctx.captured_queries]
    assert sum(1 for q in sql if q.startswith("SELECT")) == 18
    assert sum(1 for q in sql if q.startswith("INSERT")) <= (2 if people == 1 else 8)


# --- rules: a manager tunes them, every change logged ---------------------------------------------------
def test_rule_changes_are_logged(personas):
    rule = complaint_rule(personas)
    rule_update(rule=rule, actor=personas.manager, threshold=2)
    rule_update(rule=rule, actor=personas.manager, threshold=2)  # no change: no event
    events = list(AnomalyRuleEvent.objects.filter(rule=rule).order_by("pk"))
    assert [e.action for e in events] == ["created", "changed"]
    assert events[1].before == {"threshold": 1} and events[1].after == {"threshold": 2}
    assert events[1].actor == personas.manager


def test_rule_pages_create_and_edit(client_for, personas):
    client = client_for("manager")
    resp = client.post(reverse("monitoring:rule_create"), {"name": "Slow handling", "kind": "handling_time",
                                                           "active": "on", "threshold": "3", "factor": "2.5",
                                                           "max_score": "2"})
    assert resp.status_code == 302
    rule = AnomalyRule.objects.get()
    assert rule.factor == Decimal("2.5") and rule.created_by == personas.manager
    resp = client.post(reverse("monitoring:rule_edit", args=[rule.pk]), {
        "name": "Slow handling", "kind": "handling_time", "threshold": "3", "factor": "3", "max_score": "2"})
    assert resp.status_code == 302
    rule.refresh_from_db()
    assert rule.factor == Decimal("3") and not rule.active
    page = client.get(reverse("monitoring:rule_edit", args=[rule.pk])).content.decode()
    assert "History" in page and "factor 2.50 → 3" in page
    assert client.get(reverse("monitoring:rule_edit", args=[rule.pk + 99])).status_code == 404


@pytest.mark.parametrize("lang, text", [("en", "Ensure this value is greater than or equal to 1"),
                                        ("zh-hans", "确保该值大于或等于1")])
def test_bad_rule_input_is_a_form_error_in_both_languages(client_for, lang, text):
    client = client_for("manager")
    resp = client.post(reverse("monitoring:rule_create"), {"name": "<b>x</b>", "kind": "low_scores", "threshold": "0",
                                                           "factor": "0.5", "max_score": "9"},
                       HTTP_ACCEPT_LANGUAGE=lang)
    assert resp.status_code == 400
    assert text in resp.content.decode()
    assert AnomalyRule.objects.count() == 0


# --- concurrency: two runs at once ring one bell ------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_ring_one_bell(personas, customer_factory):
    from django.db import connection

    from servicedesk.models import StaffProfile, Team

    from .conftest import Builder

    t = Team.objects.create(name="维修组", name_en="Repairs", supervisor=personas.supervisor)
    StaffProfile.objects.create(user=personas.agent, team=t)
    with time_machine.travel(NOW, tick=False):
        complaint_rule(personas)
        Builder(customer_factory).complaint(personas.agent, L(11, 18, 9))
        barrier = threading.Barrier(2)
        results, errors = [], []

        def run():
            try:
                barrier.wait()
                results.append(anomalies_evaluate())
            except Exception as exc:  # noqa: BLE001 — reported below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    assert errors == []
    assert sorted(results) == [0, 1]
    assert len(bells(personas.supervisor)) == 1
    assert AlertFiring.objects.count() == 1


def test_demo_rules_one_of_each_kind_idempotent(personas):
    from monitoring import demo

    personas.manager.username = "manager"
    assert demo.load() == 4
    assert demo.load() == 0
    assert sorted(AnomalyRule.objects.values_list("kind", flat=True)) == sorted(AnomalyRule.Kind.values)
    assert all(AnomalyRule.objects.values_list("active", flat=True))


@time_machine.travel(NOW, tick=False)
def test_a_team_lead_who_cannot_open_the_board_is_passed_over_for_the_managers(build, personas):
    """Team.supervisor accepts any user: an agent set as team lead would get a link answering 403."""
    from servicedesk.models import StaffProfile, Team

    lead_team = Team.objects.create(name="热线组", name_en="Hotline", supervisor=personas.agent2)
    StaffProfile.objects.create(user=personas.agent, team=lead_team)
    complaint_rule(personas)
    build.complaint(personas.agent, L(11, 18, 9))
    assert anomalies_evaluate() == 1
    assert bells(personas.agent2) == [] and len(bells(personas.manager)) == 1
