"""Every staff view, per role; the queue and the record form; query budgets."""
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from followups.models import Callback

from .fu_helpers import at

pytestmark = pytest.mark.django_db

ROLES = ["frontdesk", "agent", "supervisor", "technician", "manager", "outsider"]
# view → roles that get the page (everyone else signed in: 403; anonymous: login)
ALLOWED = {
    "callbacks": {"agent", "supervisor", "manager"},
    "callback_new": {"agent", "supervisor", "manager"},
    "callback": {"agent", "supervisor", "manager"},
    "satisfaction": {"supervisor", "manager"},
    "satisfaction_export": {"supervisor", "manager"},
    "staff_performance": {"supervisor", "manager"},
    "policy": {"manager"},
}


@pytest.fixture
def callback(make_ticket):
    return Callback.objects.get(ticket=make_ticket(resolve_at=at(2026, 11, 20, 15)))


def _url(name, callback):
    return reverse(f"followups:{name}", args=[callback.pk] if name == "callback" else [])


@pytest.mark.parametrize("name", sorted(ALLOWED))
@pytest.mark.parametrize("role", ROLES + [None])
def test_permission_table(client_for, callback, name, role):
    response = client_for(role).get(_url(name, callback))
    if role is None:
        assert response.status_code == 302 and "/login/" in response["Location"]
    elif role in ALLOWED[name]:
        assert response.status_code == 200
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role,expected", [("agent", 403), ("frontdesk", 403), ("supervisor", 302),
                                           ("manager", 302), (None, 302)])
def test_cancel_permission(client_for, callback, role, expected):
    response = client_for(role).post(reverse("followups:callback_cancel", args=[callback.pk]), {"reason": "moved"})
    assert response.status_code == expected
    callback.refresh_from_db()
    assert (callback.status == "cancelled") == (role in ("supervisor", "manager"))


def test_agent_sees_only_own_callbacks(client_for, callback, personas):
    other = client_for("agent2")
    assert other.get(reverse("followups:callback", args=[callback.pk])).status_code == 404
    assert callback.customer.name.encode() not in other.get(reverse("followups:callbacks")).content


def test_queue_sections(client_for, make_ticket, customer_factory):
    make_ticket(resolve_at=at(2026, 11, 18, 15), customer=customer_factory(name="Overdue Olga"))  # due 20th
    make_ticket(resolve_at=at(2026, 11, 19, 16), customer=customer_factory(name="Today Tom"))  # due 23rd 16:00
    make_ticket(resolve_at=at(2026, 11, 23, 9), customer=customer_factory(name="Later Lily"))  # due 25th
    with time_machine.travel(at(2026, 11, 23, 10), tick=False):
        response = client_for("agent").get(reverse("followups:callbacks"))
    queue = response.context["queue"]
    assert [c.customer.name for c in queue.overdue] == ["Overdue Olga"]
    assert [c.customer.name for c in queue.due_today] == ["Today Tom"]
    assert [c.customer.name for c in queue.upcoming] == ["Later Lily"]
    assert b'href="tel:+86' in response.content


def test_record_not_satisfied_reopens_through_the_page(client_for, callback):
    client = client_for("agent")
    with time_machine.travel(at(2026, 11, 24, 15), tick=False):
        page = client.get(reverse("followups:callback", args=[callback.pk]))
        assert page.context["form"]["action"].initial == "reopen"
        response = client.post(reverse("followups:callback", args=[callback.pk]), {
            "result": "reached", "outcome": "not_satisfied", "action": "reopen", "notes": "<b>still</b> noisy"})
    assert response.status_code == 302
    callback.refresh_from_db()
    callback.ticket.refresh_from_db()
    assert callback.status == "done" and callback.ticket.status == "reopened"
    detail = client.get(reverse("followups:callback", args=[callback.pk])).content
    assert b"&lt;b&gt;still&lt;/b&gt;" in detail  # escaped


def test_record_form_errors_are_shown(client_for, callback):
    response = client_for("agent").post(reverse("followups:callback", args=[callback.pk]), {"result": "reached"})
    assert response.status_code == 200
    assert b"Say whether the customer is satisfied" in response.content


def test_schedule_by_hand(client_for, callback, personas):
    client = client_for("agent")
    with time_machine.travel(at(2026, 11, 23, 10), tick=False):
        bad = client.post(reverse("followups:callback_new"), {"ticket_number": "SR-1999-000001",
                                                              "due_at": "2026-11-24T10:00"})
        assert b"No ticket with that number" in bad.content
        ok = client.post(reverse("followups:callback_new"), {"ticket_number": callback.ticket.number,
                                                             "due_at": "2026-11-24T10:00", "notes": "check"})
    assert ok.status_code == 302
    manual = Callback.objects.get(reason="manual")
    assert (manual.owner, manual.ticket, manual.due_at) == (personas.agent, callback.ticket, at(2026, 11, 24, 10))


def test_policy_edit(client_for):
    client = client_for("manager")
    page = client.get(reverse("followups:policy"))
    data = {k: v for k, v in page.context["form"].initial.items() if k not in ("id", "updated_by", "updated_at")}
    data.update(repair_delay_working_days=3, dissatisfied_action="complaint")
    assert client.post(reverse("followups:policy"), data).status_code == 302
    from followups.selectors import policy

    assert policy().repair_delay_working_days == 3
    zero = {**data, **{k: 0 for k in data if k.startswith("weight_")}}
    response = client.post(reverse("followups:policy"), zero)
    assert response.status_code == 200 and b"At least one weight" in response.content


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_queue_query_count_does_not_grow(client_for, make_ticket, customer_factory):
    client = client_for("supervisor")
    make_ticket(resolve_at=at(2026, 11, 18, 15), customer=customer_factory())
    _queries(client, reverse("followups:callbacks"))
    one = _queries(client, reverse("followups:callbacks"))
    for i in range(8):
        make_ticket(resolve_at=at(2026, 11, 18 + i % 3, 15), customer=customer_factory())
    assert _queries(client, reverse("followups:callbacks")) == one


def test_detail_query_count_does_not_grow(client_for, callback, personas):
    from followups import services

    client = client_for("supervisor")
    url = reverse("followups:callback", args=[callback.pk])
    _queries(client, url)
    one = _queries(client, url)
    for hour in (10, 15):
        services.callback_record_attempt(callback=callback, actor=personas.agent, reached=False,
                                         now=at(2026, 11, 24, hour))
    assert _queries(client, url) == one


def test_staff_performance_counts(client_for, make_ticket, personas):
    from followups import services

    from .test_fu_callbacks import _complaint_with_solution_sent

    personas.agent2  # noqa: B018 - a second agent who handled nothing
    ticket = make_ticket(resolve_at=at(2026, 11, 18, 15))
    services.callback_record_attempt(callback=Callback.objects.get(ticket=ticket), actor=personas.agent,
                                     reached=True, outcome="satisfied", now=at(2026, 11, 19, 10))
    # a complaint about the technician, judged valid by the supervisor
    _complaint_with_solution_sent(make_ticket, personas, when=at(2026, 11, 20, 15))
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        response = client_for("manager").get(reverse("followups:staff_performance"))
    rows = {r.user.username: r for r in response.context["rows"]}
    assert rows["agent"].tickets_handled == 1
    assert (rows["agent"].callbacks_on_time, rows["agent"].callbacks_total) == (1, 1)
    assert rows["agent"].complaints == 0
    # the SLA area's clocks: the repair was resolved the same day, inside its target
    assert rows["agent"].resolution_met == "1/1 (100%)"
    assert rows["agent2"].resolution_met is None  # nothing handled: shown as "—"
    assert rows["technician"].complaints == 1 and rows["agent2"].complaints == 0


def test_overdue_panel_include(make_ticket, personas, rf):
    from django.template.loader import render_to_string

    make_ticket(resolve_at=at(2026, 11, 18, 15))
    with time_machine.travel(at(2026, 11, 23, 10), tick=False):
        from followups.selectors import overdue_callbacks_count

        assert overdue_callbacks_count(now=at(2026, 11, 23, 10)) == 1
        assert overdue_callbacks_count(now=at(2026, 11, 20, 10)) == 0
        request = rf.get("/")
        request.user = personas.supervisor
        html = render_to_string("followups/_overdue_panel.html", {"team": None}, request=request)
    assert 'id="followups-overdue-panel"' in html and ">1<" in html


def test_satisfaction_link_with_only_a_segment_keeps_and_shows_the_default_twelve_months(client_for):
    """?segment=region (no months) answers for the default 12 months and the selects show them, so
    pressing Apply does not quietly narrow the period to the first option (this month)."""
    with time_machine.travel(at(2026, 11, 20), tick=False):
        response = client_for("supervisor").get(reverse("followups:satisfaction") + "?segment=region")
    form = response.context["form"]
    assert (form["start"].value(), form["end"].value()) == ("2025-12", "2026-11")
    html = response.content.decode()
    assert '<option value="2025-12" selected>' in html and '<option value="2026-11" selected>' in html
    assert (response.context["start"].isoformat(), response.context["end"].isoformat()) == ("2025-12-01", "2026-11-01")
