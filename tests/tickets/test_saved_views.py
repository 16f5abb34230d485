"""Saved views (issue 19 item 3): a list's filters and sort under a name, a person's own or their team's,
as tabs with capped counts loaded after the page; the list keeps its fixed queries however many views."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from servicedesk.models import StaffProfile, Team
from tickets import selectors
from tickets.models import SavedView, Ticket

pytestmark = pytest.mark.django_db


def test_save_a_view_and_it_is_a_tab_with_its_count(client_for, ticket_factory, personas):
    urgent = [ticket_factory(subject=f"Urgent {i}", priority=Ticket.Priority.URGENT) for i in range(2)]
    ticket_factory(subject="Calm", priority=Ticket.Priority.LOW)
    client = client_for("agent")
    r = client.post(reverse("tickets:view_save"), {"name": "  Urgent   ones ", "query": "priority=0&page=3"})
    assert r.status_code == 302 and r["Location"] == reverse("tickets:list") + "?priority=0"
    view = SavedView.objects.get()
    assert (view.name, view.owner, view.team, view.query) == ("Urgent ones", personas.agent, None, "priority=0")
    page = client.get(reverse("tickets:list") + "?priority=0").content.decode()
    assert "Urgent ones" in page and 'class="nav-link active" href="?priority=0"' in page
    counts = client.get(reverse("tickets:view_counts")).content.decode()
    assert f'id="view-count-{view.pk}" hx-swap-oob="true">2<' in counts
    assert all(t.number in client.get("/tickets/?priority=0").content.decode() for t in urgent)


def test_counts_are_capped_and_never_count_the_table(personas, ticket_factory, monkeypatch):
    monkeypatch.setattr(selectors, "VIEW_COUNT_CAP", 3)
    for i in range(5):
        ticket_factory(subject=f"T{i}")
    view = SavedView.objects.create(name="All", owner=personas.agent, query="", created_at=timezone.now())
    with CaptureQueriesContext(connection) as ctx:
        counts = selectors.saved_view_counts([view])
    assert counts == {view.pk: "3+"}
    assert not any("COUNT(" in q["sql"].upper() for q in ctx.captured_queries)


def test_team_views_are_for_the_team_and_only_supervisors_share(client_for, personas, ticket_factory):
    team = Team.objects.create(name="North", supervisor=personas.supervisor)
    StaffProfile.objects.update_or_create(user=personas.agent, defaults={"team": team})
    sup = client_for("supervisor")
    assert sup.post(reverse("tickets:view_save"), {"name": "Team backlog", "query": "status=open", "share": "1"}
                    ).status_code == 302
    view = SavedView.objects.get()
    assert view.team == team and view.owner is None
    assert list(selectors.saved_views_for(personas.agent)) == [view]   # a member sees it
    assert list(selectors.saved_views_for(personas.agent2)) == []      # another team does not
    agent = client_for("agent")
    assert agent.post(reverse("tickets:view_save"), {"name": "x", "query": "", "share": "1"}).status_code == 403
    # a member cannot delete the team's view; the supervisor can
    assert agent.post(reverse("tickets:view_delete", args=[view.pk])).status_code == 403
    assert client_for("agent2").post(reverse("tickets:view_delete", args=[view.pk])).status_code == 404
    assert client_for("supervisor").post(reverse("tickets:view_delete", args=[view.pk])).status_code == 302
    assert not SavedView.objects.exists()


def test_the_list_keeps_its_queries_with_one_or_many_views(client_for, ticket_factory, personas):
    ticket_factory()
    client = client_for("agent")
    SavedView.objects.create(name="v0", owner=personas.agent, query="priority=0", created_at=timezone.now())
    client.get(reverse("tickets:list"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("tickets:list"))
    for i in range(1, 15):
        SavedView.objects.create(name=f"v{i}", owner=personas.agent, query=f"priority={i % 4}",
                                 created_at=timezone.now())
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("tickets:list")).content.decode()
    assert len(many.captured_queries) == len(one.captured_queries)
    assert "v14" in page


def test_a_nameless_view_and_too_many_views_are_refused_with_a_reason(client_for, personas):
    client = client_for("agent")
    r = client.post(reverse("tickets:view_save"), {"name": " ", "query": ""}, follow=True)
    assert "Give the view a name." in r.content.decode()
    for i in range(selectors.VIEWS_PER_PERSON):
        SavedView.objects.create(name=f"v{i}", owner=personas.agent, created_at=timezone.now())
    r = client.post(reverse("tickets:view_save"), {"name": "one more", "query": ""}, follow=True)
    assert "delete one first" in r.content.decode()
    assert SavedView.objects.count() == selectors.VIEWS_PER_PERSON
