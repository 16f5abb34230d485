"""Pages of the PDCA register: access per role, create/edit/move, fixed query counts at 1 and many rows."""
from datetime import date

import pytest

from improvement import services
from improvement.models import ImprovementAction

pytestmark = pytest.mark.django_db


def _make(personas, n=1, owner=None):
    return [services.action_create(problem=f"Problem {i} <b>", measure="Measure", owner=owner or personas.agent,
                                   due_date=date(2026, 1, 1), by=personas.manager) for i in range(n)]


@pytest.mark.parametrize(("role", "status"), [
    (None, 302), ("outsider", 403), ("technician", 200), ("agent", 200), ("frontdesk", 200), ("supervisor", 200),
    ("manager", 200)])
def test_register_access(client_for, personas, role, status):
    assert client_for(role).get("/improvement/").status_code == status


@pytest.mark.parametrize(("role", "status"), [("agent", 403), ("frontdesk", 403), ("supervisor", 200), ("manager", 200)])
def test_create_access(client_for, personas, role, status):
    assert client_for(role).get("/improvement/new/").status_code == status


def test_supervisor_creates_with_links_and_owner_moves(client_for, personas, customer_factory):
    from tickets.services import ticket_create

    complaint = ticket_create(customer=customer_factory(), kind="complaint", subject="Rude", created_by=personas.frontdesk)
    sup = client_for("supervisor")
    r = sup.post("/improvement/new/", {"problem": "", "measure": "m", "owner": personas.agent.pk, "due_date": "2026-12-01"})
    assert r.status_code == 200 and not ImprovementAction.objects.exists()
    r = sup.post("/improvement/new/", {"problem": "p", "measure": "m", "owner": personas.agent.pk,
                                       "due_date": "2026-12-01", "complaints": "NOPE-1"})
    assert r.status_code == 200 and "NOPE-1".encode() in r.content
    r = sup.post("/improvement/new/", {"problem": "Rude on the phone", "measure": "Training", "owner": personas.agent.pk,
                                       "due_date": "2026-12-01", "complaints": complaint.number,
                                       "survey_responses": "x1"})
    assert r.status_code == 200
    r = sup.post("/improvement/new/", {"problem": "Rude on the phone", "measure": "Training", "owner": personas.agent.pk,
                                       "due_date": "2026-12-01", "complaints": complaint.number})
    action = ImprovementAction.objects.get()
    assert r.status_code == 302 and list(action.complaints.all()) == [complaint]
    # the owner moves it, another agent cannot; nobody but supervisors and managers edits
    assert client_for("agent2").post(f"/improvement/{action.pk}/move/", {"to_status": "do"}).status_code == 404
    agent = client_for("agent")
    assert agent.get(f"/improvement/{action.pk}/edit/").status_code == 403
    assert agent.post(f"/improvement/{action.pk}/move/", {"to_status": "do"}).status_code == 302
    assert agent.post(f"/improvement/{action.pk}/move/", {"to_status": "done"}).status_code == 302  # refused: message
    action.refresh_from_db()
    assert action.status == "do"
    page = agent.get(f"/improvement/{action.pk}/")
    assert complaint.number.encode() in page.content
    sup = client_for("supervisor")  # one test client: sign in again
    r = sup.post(f"/improvement/{action.pk}/edit/", {"problem": "Rude", "measure": "Training", "owner": personas.agent2.pk,
                                                    "due_date": "2026-12-05"})
    assert r.status_code == 302
    action.refresh_from_db()
    assert action.owner == personas.agent2 and not action.complaints.exists()


@pytest.mark.parametrize("n", [1, 30])
def test_pages_keep_fixed_query_counts(client_for, personas, n, django_assert_max_num_queries):
    actions = _make(personas, n)
    for a in actions[:5]:
        services.action_move(action=a, by=personas.agent, to_status="do")
    client = client_for("supervisor")
    urls = ["/improvement/", "/improvement/?status=open&overdue=on&month=2026-11",
            f"/improvement/?owner={personas.agent.pk}&page=2", f"/improvement/{actions[0].pk}/",
            f"/improvement/{actions[0].pk}/edit/"]
    for url in urls:
        client.get(url)
        with django_assert_max_num_queries(16):
            r = client.get(url)
        assert r.status_code == 200, url
        assert b"Problem 0 <b>" not in r.content


def test_bad_ids_and_filters_do_not_fail(client_for, personas):
    client = client_for("manager")
    assert client.get("/improvement/99999999999999999999/").status_code == 404
    assert client.get("/improvement/?month=13-2026&status=zzz&owner=abc&page=-1").status_code == 200


def test_out_of_range_dates_are_refused_not_a_500(client_for, personas):
    client = client_for("manager")
    assert client.get("/improvement/?month=0001-01").status_code == 200
    r = client.post("/improvement/new/", {"problem": "p", "measure": "m", "owner": personas.agent.pk,
                                          "due_date": "0001-01-01"})
    assert r.status_code == 200 and not ImprovementAction.objects.exists()


def test_what_revealed_the_problem_is_shown_as_far_as_the_reader_may_see_it(client_for, personas, customer_factory):
    from tickets.services import ticket_create

    complaint = ticket_create(customer=customer_factory(), kind="complaint", subject="Rude engineer <i>x</i>",
                              created_by=personas.frontdesk)
    action = services.action_create(problem="Rude", measure="Training", owner=personas.technician,
                                    due_date=date(2026, 12, 1), by=personas.manager, complaints=[complaint])
    # the technician (no ticket access) sees the complaint's number, not its subject or a link it cannot open
    page = client_for("technician").get(f"/improvement/{action.pk}/").content.decode()
    assert complaint.number in page and "Rude engineer" not in page and f"/tickets/{complaint.pk}/" not in page
    # an agent sees both and the link
    page = client_for("agent").get(f"/improvement/{action.pk}/").content.decode()
    assert "Rude engineer" in page and f"/tickets/{complaint.pk}/" in page
