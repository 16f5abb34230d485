"""Issue 14: the ticket list and the work queue — a page of ids from the tickets table alone, then
those rows by primary key; rows rendered in Python (tickets/rows.py); the filter bar's selects
without a template per option (servicedesk/widgets.py). Same page, same words, fewer milliseconds."""
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from tickets import selectors
from tickets.filters import TicketFilter
from tickets.models import Complaint, Ticket
from tickets.rows import ticket_rows_html

pytestmark = pytest.mark.django_db
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="EXPLAIN QUERY PLAN is SQLite's")

LIST_BUDGET = 11  # session, user, 2 × permissions, groups, bell, assignee choices, tiers (issue 17), page ids, page rows (+1 spare)
QUEUE_BUDGET = 13  # as the list, with the three tabs' capped counts instead of the filter's choices


def _open(n, ticket_factory, personas, **kwargs):
    return [ticket_factory(subject=f"Fault {i}", assignee=personas.agent, **kwargs) for i in range(n)]


@pytest.mark.parametrize("url,budget", [
    (reverse("tickets:list"), LIST_BUDGET),
    (reverse("tickets:list") + "?status=open&assignee={agent}", LIST_BUDGET),
    (reverse("tickets:list") + "?status=&q=fault", LIST_BUDGET + 1),  # + the customer-name lookup
    (reverse("tickets:queue"), QUEUE_BUDGET),
])
def test_list_budget_with_one_and_fifty_tickets(url, budget, ticket_factory, personas, client_for,
                                                django_assert_max_num_queries):
    # given one open ticket of the agent's
    client = client_for("agent")
    url = url.format(agent=personas.agent.pk)
    _open(1, ticket_factory, personas)
    client.get(url)
    with django_assert_max_num_queries(budget) as one:
        assert client.get(url).status_code == 200
    # when there are fifty
    _open(49, ticket_factory, personas)
    with django_assert_max_num_queries(budget) as fifty:
        response = client.get(url)
    # then the page runs the same queries and shows a full page of 25, newest (or most due) first
    assert len(one.captured_queries) == len(fifty.captured_queries)
    assert len(response.context["page"].object_list) == 25 and response.context["page"].has_next


def test_two_step_page_keeps_the_order_and_knows_the_next_page(ticket_factory, personas):
    tickets = _open(30, ticket_factory, personas)
    qs = TicketFilter({"sort": "created"}, queryset=selectors.ticket_list_base()).qs
    first = selectors.slice_page(qs, 1, rows=selectors.ticket_list_base)
    second = selectors.slice_page(qs, 2, rows=selectors.ticket_list_base)
    assert [t.pk for t in first] == [t.pk for t in tickets[:25]] and first.has_next
    assert [t.pk for t in second] == [t.pk for t in tickets[25:]] and not second.has_next
    assert second.start_index == 26 and second.end_index == 30
    # the rows come with their joins: reading them asks nothing more of the database
    with CaptureQueriesContext(connection) as ctx:
        [(t.customer.name, t.assignee.username, t.team) for t in first]
    assert len(ctx.captured_queries) == 0
    # an empty page asks once (the ids) and shows nothing
    with CaptureQueriesContext(connection) as ctx:
        empty = selectors.slice_page(qs.filter(subject="nothing like this"), 1, rows=selectors.ticket_list_base)
    assert list(empty) == [] and not empty.has_next and len(ctx.captured_queries) == 1


def _row(ticket, now):
    page = selectors.slice_page(selectors.ticket_list_base().filter(pk=ticket.pk), 1, rows=selectors.ticket_list_base)
    return str(ticket_rows_html(page, now))


def test_row_shows_what_the_template_showed(ticket_factory, customer_factory, personas):
    # given a gold customer's complaint, assigned, past its first SLA deadline
    customer = customer_factory(name="王芳", tier="gold")
    ticket = ticket_factory(kind=Ticket.Kind.COMPLAINT, customer=customer, subject="Rude technician",
                            assignee=personas.agent)
    ticket.refresh_from_db()
    later = ticket.sla_due_at + timedelta(hours=2)
    html = _row(ticket, later)
    # then the row links to the ticket and shows number, subject, customer, tier, status, priority,
    # the complaint's stage, who has it and that it is overdue
    assert html.count(f'href="{reverse("tickets:detail", args=[ticket.pk])}"') == 2
    assert ticket.number in html and "Rude technician" in html and "王芳" in html
    assert "Gold" in html and "New" in html and "Normal" in html and "complaint-stage" in html
    assert Complaint.objects.get(ticket=ticket).get_stage_display() in html
    assert personas.agent.username in html or personas.agent.get_full_name() in html
    assert "overdue 2\xa0hours" in html and "text-danger" in html
    # before the deadline it says how long is left; an unassigned ticket says so
    unassigned = ticket_factory(subject="Quiet one")
    unassigned.refresh_from_db()
    html = _row(unassigned, unassigned.created_at + timedelta(minutes=1))
    assert "Unassigned" in html and re.search(r">in \d+", html)


def test_row_is_in_the_readers_language(ticket_factory, customer_factory, personas):
    ticket = ticket_factory(customer=customer_factory(tier="gold"))
    ticket.refresh_from_db()
    with translation.override("zh-hans"):
        html = _row(ticket, ticket.sla_due_at + timedelta(hours=1))
    assert "已超时" in html and "未分配" in html and "新建" in html, html


def test_row_escapes_what_people_typed(ticket_factory, customer_factory):
    ticket = ticket_factory(customer=customer_factory(name="<script>alert(1)</script>"),
                            subject='"><img src=x onerror=alert(2)>')
    html = _row(ticket, timezone.now())
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&quot;&gt;&lt;img" in html


def test_long_subject_is_cut_like_truncatechars(ticket_factory):
    ticket = ticket_factory(subject="x" * 100)
    html = _row(ticket, timezone.now())
    assert "x" * 69 + "…" in html and "x" * 70 not in html


def test_filter_selects_render_like_djangos(client_for, personas):
    # given a filter naming an assignee and a sort
    body = client_for("agent").get(
        reverse("tickets:list") + f"?assignee={personas.agent.pk}&sort=priority&status=waiting").content.decode()
    # then each select keeps its name, id, class and the chosen option selected
    assignee = re.search(r'<select name="assignee"[^>]*>(.*?)</select>', body, re.S)
    assert assignee and 'id="id_assignee"' in assignee.group(0) and "form-select form-select-sm" in assignee.group(0)
    assert f'<option value="{personas.agent.pk}" selected>' in assignee.group(1)
    assert '<option value="null">' in assignee.group(1)  # "Unassigned" is still offered
    assert '<option value="priority" selected>' in body and '<option value="waiting" selected>' in body


def _sqlite_plan(sql, params):
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return [row[-1] for row in cursor.fetchall()]


LIST_VIEWS = ["", "status=open&assignee={agent}", "status=&q=fault", "sort=due"]


@sqlite_only
@pytest.mark.parametrize("statistics", [False, True], ids=["no-statistics", "with-ANALYZE"])
def test_sqlite_page_ids_come_from_the_tickets_table_alone(statistics, ticket_factory, customer_factory, personas):
    """With ANALYZE statistics SQLite once started the one-query list from the customers table and sorted
    every open ticket (issue 14). The id query has no join to start from: whatever the statistics, it
    reads tickets_ticket through an index; the rows are then read by primary key."""
    for i in range(40):
        ticket_factory(customer=customer_factory(name=f"Customer {i}"), subject=f"Fault {i}",
                       assignee=personas.agent if i % 2 else None)
    with connection.cursor() as cursor:
        if statistics:
            cursor.execute("ANALYZE")  # what PRAGMA optimize leaves behind
        else:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone()[0]:
                cursor.execute("DELETE FROM sqlite_stat1")
            cursor.execute("ANALYZE sqlite_schema")  # reload: the planner forgets what it had read
    for view in LIST_VIEWS:
        flt = TicketFilter(dict(p.split("=") for p in view.format(agent=personas.agent.pk).split("&") if p),
                           queryset=selectors.ticket_list_base())
        plan = _sqlite_plan(*flt.qs.values_list("pk", flat=True)[:26].query.sql_with_params())
        assert all("tickets_ticket" in step or "B-TREE" in step for step in plan), (view, plan)
        assert any("USING" in step and "INDEX" in step for step in plan), (view, plan)
        assert not any(step.startswith("SCAN tickets_ticket") and "INDEX" not in step for step in plan), (view, plan)
    rows = selectors.ticket_list_base().filter(pk__in=[1, 2, 3])
    plan = _sqlite_plan(*rows.query.sql_with_params())
    assert "SEARCH tickets_ticket USING INTEGER PRIMARY KEY (rowid=?)" in plan, plan


@pytest.mark.postgres
@pytest.mark.parametrize("view,index", [
    ("", "ticket_open_new_idx"),
    ("status=open&assignee={agent}", "ticket_open_assignee_new_idx"),
])
def test_postgres_open_list_reads_its_page_in_order_from_an_index(view, index, ticket_factory, personas):
    for i in range(30):
        ticket_factory(subject=f"Fault {i}", assignee=personas.agent if i % 2 else None)
    flt = TicketFilter(dict(p.split("=") for p in view.format(agent=personas.agent.pk).split("&") if p),
                       queryset=selectors.ticket_list_base())
    sql, params = flt.qs.values_list("pk", flat=True)[:26].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tickets_ticket")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_incremental_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(r[0] for r in cursor.fetchall())
    assert index in plan, plan
    assert not re.search(r"^\s*(->\s+)?(Incremental )?Sort\s+\(", plan, re.MULTILINE), plan


def test_filter_staff_choices_are_the_workers_and_owners_in_one_query(personas, django_assert_num_queries):
    from django.contrib.auth.models import Permission

    from tickets.selectors import first_inquiry_candidates, ticket_staff_choices, ticket_workers

    # given people of every role, one with work_ticket granted directly, an inactive agent and a superuser
    for role in ("frontdesk", "agent", "agent2", "supervisor", "technician", "manager", "outsider"):
        getattr(personas, role)
    personas.outsider.user_permissions.add(Permission.objects.get(codename="work_ticket"),
                                           Permission.objects.get(codename="view_ticket"))
    personas.agent2.is_active = False
    personas.agent2.save()
    personas.technician.is_superuser = True
    personas.technician.save()
    # when the list's filter reads its choices
    with django_assert_num_queries(1):
        workers, owners = ticket_staff_choices()
    # then they are the assignment choices and the first-inquiry candidates, in the same order
    assert workers == [(str(u.pk), u.get_username()) for u in ticket_workers()]
    assert owners == [(str(u.pk), u.get_username()) for u in first_inquiry_candidates()]
    assert (str(personas.outsider.pk), "outsider") in workers and str(personas.agent2.pk) not in dict(owners)
    assert str(personas.frontdesk.pk) in dict(owners) and str(personas.frontdesk.pk) not in dict(workers)



def test_first_inquiry_line_is_markup_on_a_ticket_without_a_team(ticket_factory, personas):
    # given an unassigned ticket with no team, opened by the front desk (its first-inquiry owner)
    ticket = ticket_factory(subject="No team yet")
    ticket.refresh_from_db()
    assert ticket.team_id is None and ticket.first_inquiry_owner_id == personas.frontdesk.pk
    html = _row(ticket, timezone.now())
    # then the owner's line is a line, not escaped markup shown as text
    assert '<div class="small text-body-secondary first-inquiry"' in html and "&lt;div" not in html


def test_filter_staff_choices_compiled_once_still_read_the_people_of_now(personas, django_assert_num_queries):
    """The SQL is kept after the first call (servicedesk.compiled), the rows never: a person given the right
    after the first list page is a choice on the next."""
    from django.contrib.auth.models import Permission

    from tickets.selectors import ticket_staff_choices

    outsider = str(personas.outsider.pk)
    workers, _owners = ticket_staff_choices()
    assert outsider not in dict(workers)
    # when the outsider is given work_ticket directly
    personas.outsider.user_permissions.add(Permission.objects.get(codename="work_ticket"))
    # then the next read, one query and no new compile, names them
    with django_assert_num_queries(1):
        workers, _owners = ticket_staff_choices()
    assert outsider in dict(workers)
