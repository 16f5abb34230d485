"""The live board: who may open it, whom it shows, what it shows, and its fixed query count."""
import pytest
import time_machine
from django.urls import reverse

from .conftest import NOW, L

BOARD = reverse("monitoring:board")


def put_in_team(user, team):
    from servicedesk.models import StaffProfile

    StaffProfile.objects.update_or_create(user=user, defaults={"team": team})


@pytest.fixture
def teams(personas):
    from servicedesk.models import Team

    mine = Team.objects.create(name="维修组", name_en="Repairs", supervisor=personas.supervisor)
    other = Team.objects.create(name="投诉组", name_en="Complaints")
    put_in_team(personas.agent, mine)
    put_in_team(personas.frontdesk, mine)
    put_in_team(personas.agent2, other)
    return mine, other


@pytest.mark.parametrize("role, status", [
    (None, 302), ("outsider", 403), ("frontdesk", 403), ("agent", 403), ("technician", 403),
    ("supervisor", 200), ("manager", 200),
])
@time_machine.travel(NOW, tick=False)
def test_who_may_open_the_board(client_for, teams, role, status):
    assert client_for(role).get(BOARD).status_code == status


@pytest.mark.parametrize("role, status", [
    (None, 302), ("outsider", 403), ("frontdesk", 403), ("agent", 403), ("technician", 403),
    ("supervisor", 403), ("manager", 200),
])
def test_only_managers_tune_rules(client_for, role, status):
    assert client_for(role).get(reverse("monitoring:rules")).status_code == status
    assert client_for(role).get(reverse("monitoring:rule_create")).status_code == status


@time_machine.travel(NOW, tick=False)
def test_a_supervisor_sees_only_their_team(client_for, personas, teams):
    mine, other = teams
    page = client_for("supervisor").get(BOARD).content.decode()
    assert "Agent2" not in page and "Agent" in page and "Frontdesk" in page
    # asking for another team is refused as a bad choice: still their own team
    page = client_for("supervisor").get(BOARD, {"team": other.pk}).content.decode()
    assert "Agent2" not in page


@time_machine.travel(NOW, tick=False)
def test_a_supervisor_of_several_teams_sees_them_all_by_default(client_for, personas, teams):
    """Found walking the demo: the board opened on the supervisor's first team by name, which had nobody in
    it, while their other team was busy. By default they see all their teams; the filter picks one."""
    from servicedesk.models import Team

    mine, other = teams
    empty = Team.objects.create(name="大客户组", name_en="Key accounts", supervisor=personas.supervisor)
    client = client_for("supervisor")
    page = client.get(BOARD).content.decode()
    assert "Agent" in page and "Frontdesk" in page and "Agent2" not in page and "All teams" in page
    assert "No agents or front-desk staff here." in client.get(BOARD, {"team": empty.pk}).content.decode()
    assert "Agent2" not in client.get(BOARD, {"team": other.pk}).content.decode()


@time_machine.travel(NOW, tick=False)
def test_a_supervisor_who_is_also_a_manager_sees_every_team(client_for, personas, teams):
    from django.contrib.auth.models import Group

    personas.supervisor.groups.add(Group.objects.get(name="manager"))
    mine, other = teams
    page = client_for("supervisor").get(BOARD, {"team": other.pk}).content.decode()
    assert "Agent2" in page and "Frontdesk" not in page
    page = client_for("supervisor").get(BOARD).content.decode()
    assert "Agent2" in page and "Frontdesk" in page


@time_machine.travel(NOW, tick=False)
def test_a_supervisor_without_a_team_is_told_so(client_for, personas):
    page = client_for("supervisor").get(BOARD).content.decode()
    assert "You do not supervise a team yet" in page


@time_machine.travel(NOW, tick=False)
def test_the_board_shows_todays_figures_and_sorts(client_for, personas, teams, build):
    build.contact(personas.frontdesk, L(11, 18, 9), minutes=4)
    build.contact(personas.frontdesk, L(11, 18, 10), minutes=8)
    build.contact(personas.frontdesk, L(11, 17, 23, 59), minutes=60)  # yesterday
    build.contact(personas.agent, L(11, 18, 11), minutes=1)
    resp = client_for("supervisor").get(BOARD, {"sort": "contacts", "desc": "on"})
    rows = resp.context["rows"]
    assert [r.user for r in rows] == [personas.frontdesk, personas.agent]
    assert rows[0].facts.contacts_handled == 2 and rows[0].avg_handling_minutes == 6.0
    asc = client_for("supervisor").get(BOARD, {"sort": "contacts"}).context["rows"]
    assert [r.user for r in asc] == [personas.agent, personas.frontdesk]
    body = resp.content.decode()
    assert "What each column counts" in body and "First-contact resolution" in body and "board-chart-data" in body


@time_machine.travel(NOW, tick=False)
def test_htmx_refresh_returns_the_body_only(client_for, teams):
    resp = client_for("supervisor").get(BOARD, HTTP_HX_REQUEST="true")
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "<html" not in body and "board-table" in body


@time_machine.travel(NOW, tick=False)
def test_bad_filter_input_is_no_500(client_for, teams):
    for params in ({"team": "x"}, {"team": "99999999999999999999"}, {"sort": "<script>"}, {"page": "-1"}):
        resp = client_for("manager").get(BOARD, params)
        assert resp.status_code == 200
        assert "<script>" not in resp.content.decode().split("<body", 1)[1].replace("<script src", "").replace(
            '<script type="application/json"', "")


@pytest.mark.parametrize("people", [1, 50])
@time_machine.travel(NOW, tick=False)
def test_board_queries_are_fixed(client_for, personas, build, django_assert_max_num_queries, people):
    from django.contrib.auth.models import Group

    from servicedesk.models import Team
    from tests.conftest import make_user

    team = Team.objects.create(name="维修组", name_en="Repairs", supervisor=personas.supervisor)
    group = Group.objects.get(name="agent")
    for i in range(people):
        u = make_user(f"staff{i}", None)
        u.groups.add(group)
        put_in_team(u, team)
        build.contact(u, L(11, 18, 9), minutes=3)
        build.survey(u, L(11, 18, 10), 4)
    client = client_for("supervisor")
    client.get(BOARD)  # warm the session and caches
    # session, user, permissions, profile, teams, people, their groups, staff_facts (8), 30-day FCR,
    # today's alerts, the bell's count, the menu's role: 19 at 1 person and at 50
    with django_assert_max_num_queries(19):
        resp = client.get(BOARD)
    assert len(resp.context["rows"]) == people


@time_machine.travel(NOW, tick=False)
def test_the_board_in_chinese(client_for, teams):
    client = client_for("supervisor")
    resp = client.get(BOARD, HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = resp.content.decode()
    assert "实时监控" in body and "首次接触解决率" in body and "各列统计口径" in body


@time_machine.travel(NOW, tick=False)
def test_the_board_paginates_never_cuts(client_for, personas, teams, monkeypatch):
    from monitoring import views

    monkeypatch.setattr(views, "PER_PAGE", 1)
    client = client_for("supervisor")
    first = client.get(BOARD, {"sort": "name"})
    second = client.get(BOARD, {"sort": "name", "page": 2})
    assert first.context["page"].paginator.count == 2
    assert {first.context["rows"][0].user, second.context["rows"][0].user} == {personas.agent, personas.frontdesk}
    assert "sort=name&amp;page=2" in first.content.decode()


@time_machine.travel(NOW, tick=False)
def test_the_poll_gets_204_while_nothing_changed(client_for, personas, teams, build):
    client = client_for("supervisor")
    first = client.get(BOARD, HTTP_HX_REQUEST="true")
    state = first.context["state"]
    assert f'value="{state}"' in first.content.decode()
    # nothing changed: nothing to swap
    assert client.get(BOARD, {"shown": state}, HTTP_HX_REQUEST="true").status_code == 204
    # a full page load always renders
    assert client.get(BOARD, {"shown": state}).status_code == 200
    # a new contact changes a figure: the body comes back with a new state
    build.contact(personas.frontdesk, L(11, 18, 9), minutes=4)
    again = client.get(BOARD, {"shown": state}, HTTP_HX_REQUEST="true")
    assert again.status_code == 200 and again.context["state"] != state


@time_machine.travel(NOW, tick=False)
def test_a_staff_name_cannot_break_out_of_the_chart_data(client_for, personas, teams):
    """The chart's labels are staff names, in a JSON <script> block: escaped with json_script."""
    personas.agent.first_name = "</script><script>alert(1)</script>"
    personas.agent.save(update_fields=["first_name"])
    body = client_for("supervisor").get(BOARD).content.decode()
    assert "<script>alert(1)" not in body and 'id="board-chart-data"' in body
