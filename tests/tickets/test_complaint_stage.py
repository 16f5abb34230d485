"""Complaints show where they stand, and every hand-off tells the next person (issue 11 item 8)."""
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.urls import reverse

from followups.models import Callback, CallbackAttempt
from servicedesk.models import Notification, Team
from tests.conftest import make_user
from tickets import services
from tickets.models import Complaint, Ticket, TicketEvent

pytestmark = pytest.mark.django_db
S = Ticket.Status
St = Complaint.Stage
T0 = datetime(2026, 11, 17, 2, 0, tzinfo=dt_timezone.utc)  # a Tuesday, 10:00 in Shanghai


@pytest.fixture
def team(personas):
    return Team.objects.create(name="Complaints", supervisor=personas.supervisor)


@pytest.fixture
def complaint_ticket(ticket_factory, personas, team):
    return ticket_factory(kind=Ticket.Kind.COMPLAINT, subject="Rude engineer", team=team, assignee=personas.agent,
                          now=T0)


def stage(ticket) -> str:
    return Complaint.objects.get(ticket=ticket).stage


def bell(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).order_by("id").values_list("message", flat=True))


def walk_to_solution_sent(ticket, personas, department, now=T0):
    agent, sup = personas.agent, personas.supervisor
    services.ticket_transition(ticket=ticket, to_status=S.ACKNOWLEDGED, actor=agent, now=now + timedelta(minutes=5))
    services.complaint_record_investigation(ticket=ticket, actor=agent, findings="Engineer confirmed it.",
                                            department=department, now=now + timedelta(hours=1))
    services.complaint_decide(ticket=ticket, actor=sup, decision="Apologise and re-train.", remedy="apology",
                              department=department, now=now + timedelta(hours=2))
    services.complaint_send_solution(ticket=ticket, actor=agent, body="We apologise.", now=now + timedelta(hours=3))


# --- the stage rule ---------------------------------------------------------------------------------
@pytest.mark.parametrize("status, milestones, expected", [
    (S.NEW, {}, St.CLASSIFIED),
    (S.ACKNOWLEDGED, {}, St.INVESTIGATING),
    (S.IN_PROGRESS, {"investigated_at": 1}, St.AWAITING_DECISION),
    (S.IN_PROGRESS, {"investigated_at": 1, "decided_at": 2}, St.SOLUTION),
    (S.RESOLVED, {"investigated_at": 1, "decided_at": 2}, St.SOLUTION),
    (S.IN_PROGRESS, {"investigated_at": 1, "decided_at": 2, "solution_sent_at": 3}, St.RETURN_VISIT),
    (S.RESOLVED, {"investigated_at": 1, "decided_at": 2, "solution_sent_at": 3, "return_visit_at": 4}, St.RETURN_VISIT),
    (S.CLOSED, {"investigated_at": 1, "decided_at": 2, "solution_sent_at": 3, "return_visit_at": 4}, St.CLOSED),
    (S.CANCELLED, {}, St.CLOSED),
])
def test_stage_follows_the_milestones(status, milestones, expected):
    c = Complaint(**{k: T0 + timedelta(hours=v) for k, v in milestones.items()})
    assert c.stage_for(status=status) == expected


def test_after_a_reopen_only_newer_milestones_count():
    c = Complaint(investigated_at=T0, decided_at=T0 + timedelta(hours=1), solution_sent_at=T0 + timedelta(hours=2))
    assert c.stage_for(status=S.REOPENED, reopened_at=T0 + timedelta(days=1)) == St.INVESTIGATING
    c.investigated_at = T0 + timedelta(days=1, hours=1)
    assert c.stage_for(status=S.IN_PROGRESS, reopened_at=T0 + timedelta(days=1)) == St.AWAITING_DECISION


# --- the walk through every stage ---------------------------------------------------------------------
def test_the_stage_moves_with_each_service_and_tells_the_next_person(complaint_ticket, personas, department):
    agent, sup = personas.agent, personas.supervisor
    t = complaint_ticket
    assert stage(t) == St.CLASSIFIED

    services.ticket_transition(ticket=t, to_status=S.ACKNOWLEDGED, actor=agent, now=T0 + timedelta(minutes=5))
    assert stage(t) == St.INVESTIGATING

    services.complaint_record_investigation(ticket=t, actor=agent, findings="Confirmed.", department=department,
                                            now=T0 + timedelta(hours=1))
    assert stage(t) == St.AWAITING_DECISION
    assert any(t.number in m and "awaits your decision" in m for m in bell(sup))
    assert not any(t.number in m for m in bell(agent))  # the one who acted is not told

    services.complaint_decide(ticket=t, actor=sup, decision="Apologise.", remedy="apology", department=department,
                              now=T0 + timedelta(hours=2))
    assert stage(t) == St.SOLUTION
    assert any(t.number in m and "Decision made" in m for m in bell(agent))

    services.complaint_send_solution(ticket=t, actor=agent, body="We apologise.", now=T0 + timedelta(hours=3))
    assert stage(t) == St.RETURN_VISIT
    pending = Callback.objects.get(ticket=t, reason=Callback.Reason.COMPLAINT_RETURN_VISIT)
    assert pending.status == Callback.Status.PENDING

    services.complaint_record_return_visit(ticket=t, actor=agent, outcome="satisfied", notes="Happy now.",
                                           now=T0 + timedelta(days=1))
    t.refresh_from_db()
    services.ticket_resolve(ticket=t, actor=agent, solution="Apologised.", now=T0 + timedelta(days=1, minutes=5))
    services.ticket_transition(ticket=t, to_status=S.CLOSED, actor=agent, now=T0 + timedelta(days=1, minutes=10))
    assert stage(t) == St.CLOSED
    assert any(t.number in m and "closed" in m for m in bell(sup))
    # every move is on the timeline, in order
    moves = list(TicketEvent.objects.filter(ticket=t, kind="complaint_stage").order_by("id").values_list("after", flat=True))
    assert moves == [St.INVESTIGATING, St.AWAITING_DECISION, St.SOLUTION, St.RETURN_VISIT, St.CLOSED]
    # no return-visit callback is left pending after the complaint closed
    assert not Callback.objects.filter(ticket=t, status=Callback.Status.PENDING).exists()


def test_hand_off_messages_are_in_the_recipients_language(complaint_ticket, personas, department, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    services.ticket_transition(ticket=complaint_ticket, to_status=S.ACKNOWLEDGED, actor=personas.agent, now=T0)
    services.complaint_record_investigation(ticket=complaint_ticket, actor=personas.agent, findings="x",
                                            department=department, now=T0 + timedelta(hours=1))
    assert any("待您决定" in m for m in bell(personas.supervisor))


def test_without_a_team_supervisor_every_supervisor_is_told(ticket_factory, personas, department):
    personas.supervisor
    other = make_user("supervisor2", "supervisor")
    t = ticket_factory(kind=Ticket.Kind.COMPLAINT, assignee=personas.agent, now=T0)
    services.complaint_record_investigation(ticket=t, actor=personas.agent, findings="x", department=department, now=T0)
    assert bell(personas.supervisor) and bell(other)


def test_a_reopened_complaint_goes_back_to_investigation(complaint_ticket, personas, department):
    t = complaint_ticket
    walk_to_solution_sent(t, personas, department)
    services.complaint_record_return_visit(ticket=t, actor=personas.agent, outcome="satisfied", notes="",
                                           now=T0 + timedelta(days=1))
    services.ticket_resolve(ticket=t, actor=personas.agent, now=T0 + timedelta(days=1, hours=1))
    services.ticket_transition(ticket=t, to_status=S.REOPENED, actor=personas.agent, reason="Not fixed",
                               now=T0 + timedelta(days=2))
    assert stage(t) == St.INVESTIGATING
    before = len(bell(personas.supervisor))
    services.complaint_record_investigation(ticket=t, actor=personas.agent, findings="Again.", now=T0 + timedelta(days=2, hours=1))
    assert stage(t) == St.AWAITING_DECISION
    assert len(bell(personas.supervisor)) == before + 1


# --- the return visit is one fact -------------------------------------------------------------------
def test_recording_the_return_visit_completes_the_callback_once(complaint_ticket, personas, department):
    t = complaint_ticket
    walk_to_solution_sent(t, personas, department)
    cb = Callback.objects.get(ticket=t, reason=Callback.Reason.COMPLAINT_RETURN_VISIT, status=Callback.Status.PENDING)
    # when
    services.complaint_record_return_visit(ticket=t, actor=personas.agent, outcome="not_satisfied", notes="Still upset.",
                                           now=T0 + timedelta(days=1))
    # then
    cb.refresh_from_db()
    assert cb.status == Callback.Status.DONE and cb.outcome == "not_satisfied"
    assert CallbackAttempt.objects.filter(callback=cb).count() == 1
    assert TicketEvent.objects.filter(ticket=t, kind="complaint_return_visit").count() == 1
    # the resolution that follows does not schedule a second return visit
    t.refresh_from_db()
    services.ticket_resolve(ticket=t, actor=personas.agent, now=T0 + timedelta(days=1, hours=1))
    assert not Callback.objects.filter(ticket=t, status=Callback.Status.PENDING).exists()


def test_unreachable_return_visit_on_the_complaint_closes_the_callback_as_unreachable(complaint_ticket, personas, department):
    t = complaint_ticket
    walk_to_solution_sent(t, personas, department)
    services.complaint_record_return_visit(ticket=t, actor=personas.agent, outcome="unreachable", notes="",
                                           now=T0 + timedelta(days=1))
    cb = Callback.objects.get(ticket=t, reason=Callback.Reason.COMPLAINT_RETURN_VISIT)
    assert cb.status == Callback.Status.UNREACHABLE


def test_completing_the_callback_records_the_return_visit_once(complaint_ticket, personas, department):
    from followups.services import callback_record_attempt

    t = complaint_ticket
    walk_to_solution_sent(t, personas, department)
    cb = Callback.objects.get(ticket=t, reason=Callback.Reason.COMPLAINT_RETURN_VISIT, status=Callback.Status.PENDING)
    # when
    callback_record_attempt(callback=cb, actor=personas.agent, reached=True, outcome="satisfied", notes="All good.",
                            now=T0 + timedelta(days=1))
    # then
    c = Complaint.objects.get(ticket=t)
    assert c.return_visit_outcome == "satisfied" and c.return_visit_at == T0 + timedelta(days=1)
    assert TicketEvent.objects.filter(ticket=t, kind="complaint_return_visit").count() == 1
    assert CallbackAttempt.objects.filter(callback=cb).count() == 1
    cb.refresh_from_db()
    assert cb.status == Callback.Status.DONE
    assert c.stage == St.RETURN_VISIT


# --- staff member complained about -----------------------------------------------------------------------
def test_staff_member_complained_about_offers_every_staff_member(client_for, complaint_ticket, personas):
    tech = personas.technician
    personas.frontdesk
    client = client_for("agent")
    page = client.get(reverse("tickets:action", args=[complaint_ticket.pk, "complaint_classify"]))
    assert page.status_code == 200
    html = page.content.decode()
    for user in (tech, personas.frontdesk, personas.supervisor, personas.agent):
        assert f'value="{user.pk}"' in html, user.username
    assert f'value="{personas.outsider.pk}"' not in html
    # and the technician can be saved on the complaint
    services.complaint_update(ticket=complaint_ticket, actor=personas.agent, category="attitude", staff_member=tech)
    assert Complaint.objects.get(ticket=complaint_ticket).staff_member == tech


# --- pages --------------------------------------------------------------------------------------------
def test_awaiting_my_decision_lists_my_teams_and_unsupervised_ones(client_for, ticket_factory, personas, department, team):
    other_sup = make_user("sup_b", "supervisor")
    other_team = Team.objects.create(name="Other", supervisor=other_sup)
    mine = ticket_factory(kind=Ticket.Kind.COMPLAINT, subject="Mine", team=team, assignee=personas.agent, now=T0)
    theirs = ticket_factory(kind=Ticket.Kind.COMPLAINT, subject="Theirs", team=other_team, now=T0)
    nobody = ticket_factory(kind=Ticket.Kind.COMPLAINT, subject="No team", now=T0)
    undecided = ticket_factory(kind=Ticket.Kind.COMPLAINT, subject="Not investigated", team=team, now=T0)
    for t in (mine, theirs, nobody):
        services.complaint_record_investigation(ticket=t, actor=personas.agent, findings="x", department=department, now=T0)
    html = client_for("supervisor").get(reverse("tickets:complaints_awaiting")).content.decode()
    assert mine.number in html and nobody.number in html
    assert theirs.number not in html and undecided.number not in html


@pytest.mark.parametrize("role, status", [("supervisor", 200), ("manager", 200), ("agent", 403), ("frontdesk", 403),
                                          ("technician", 403)])
def test_awaiting_my_decision_is_for_deciders(client_for, role, status):
    assert client_for(role).get(reverse("tickets:complaints_awaiting")).status_code == status


def test_awaiting_my_decision_query_count_is_fixed(client_for, ticket_factory, personas, department, team,
                                                   django_assert_max_num_queries):
    def add(n):
        for i in range(n):
            t = ticket_factory(kind=Ticket.Kind.COMPLAINT, subject=f"C{i}", team=team, assignee=personas.agent, now=T0)
            services.complaint_record_investigation(ticket=t, actor=personas.agent, findings="x", department=department,
                                                    now=T0)

    client = client_for("supervisor")
    add(2)
    client.get(reverse("tickets:complaints_awaiting"))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("tickets:complaints_awaiting"))
    add(8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("tickets:complaints_awaiting"))
    assert page.content.decode().count("#complaint") == 10


def test_register_shows_and_filters_by_stage(client_for, complaint_ticket, ticket_factory, personas, department):
    other = ticket_factory(kind=Ticket.Kind.COMPLAINT, subject="Fresh one", now=T0)
    services.complaint_record_investigation(ticket=complaint_ticket, actor=personas.agent, findings="x",
                                            department=department, now=T0)
    client = client_for("supervisor")
    html = client.get(reverse("tickets:complaints")).content.decode()
    assert "Awaiting decision" in html and "Classified" in html
    filtered = client.get(reverse("tickets:complaints") + "?stage=awaiting_decision").content.decode()
    assert complaint_ticket.number in filtered and other.number not in filtered


def test_queue_list_and_ticket_page_show_the_stage(client_for, complaint_ticket, personas, department):
    services.complaint_record_investigation(ticket=complaint_ticket, actor=personas.agent, findings="x",
                                            department=department, now=T0)
    client = client_for("agent")
    for url in (reverse("tickets:queue"), reverse("tickets:list"), reverse("tickets:detail", args=[complaint_ticket.pk])):
        assert "Awaiting decision" in client.get(url).content.decode(), url
    detail = client.get(reverse("tickets:detail", args=[complaint_ticket.pk])).content.decode()
    assert 'aria-current="step"' in detail
