"""Bulk changes (issue 19 item 2): each ticket through its service (state machine, permissions, events),
refusals listed per ticket, small selections at once and large ones in the background, exactly once
through a crash and two runners, and an undo that leaves alone what someone changed since."""
import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from tickets import bulk, services
from tickets.models import BulkAction, Tag, Ticket, TicketEvent

pytestmark = pytest.mark.django_db
S = Ticket.Status
P = Ticket.Priority


def test_status_in_bulk_follows_the_state_machine_and_lists_refusals(ticket_factory, personas):
    # given one new ticket, one already waiting, one cancelled
    fresh, waiting, cancelled = ticket_factory(), ticket_factory(), ticket_factory()
    services.ticket_transition(ticket=waiting, to_status=S.WAITING, actor=personas.agent)
    services.ticket_transition(ticket=cancelled, to_status=S.CANCELLED, actor=personas.agent, reason="duplicate")
    # when
    job = bulk.bulk_start(actor=personas.supervisor, kind="status", params={"status": S.WAITING},
                          ticket_ids=[fresh.pk, waiting.pk, cancelled.pk])
    # then: done in the request (a small selection), one changed, one already so, one refused with why
    assert job.state == BulkAction.State.DONE and job.position == 3
    assert [c["id"] for c in job.changed] == [fresh.pk] and job.unchanged == 1
    assert [(r["number"], bool(r["reason"])) for r in job.refused] == [(cancelled.number, True)]
    fresh.refresh_from_db()
    assert fresh.status == S.WAITING
    event = TicketEvent.objects.get(ticket=fresh, kind="status")
    assert event.actor == personas.supervisor and event.message == f"Bulk change #{job.pk}"


def test_permissions_are_checked_per_ticket(ticket_factory, personas):
    mine = ticket_factory(assignee=personas.agent)
    theirs = ticket_factory(assignee=personas.agent2)
    job = bulk.bulk_start(actor=personas.agent, kind="assign", params={"assignee": personas.agent.pk},
                          ticket_ids=[mine.pk, theirs.pk])
    assert job.unchanged == 1  # already mine
    assert [r["id"] for r in job.refused] == [theirs.pk]
    assert "Only a supervisor can reassign" in job.refused[0]["reason"]
    # the front desk tags in bulk but does not work tickets
    tag = services.tag_create(name="billing", actor=personas.manager)
    job = bulk.bulk_start(actor=personas.frontdesk, kind="tag", params={"tag": tag.pk}, ticket_ids=[mine.pk])
    assert [c["id"] for c in job.changed] == [mine.pk]
    with pytest.raises(ValidationError):
        bulk.bulk_start(actor=personas.frontdesk, kind="priority", params={"priority": P.HIGH}, ticket_ids=[mine.pk])
    with pytest.raises(ValidationError):
        bulk.bulk_start(actor=personas.agent, kind="assign", params={"assignee": personas.technician.pk},
                        ticket_ids=[mine.pk])


def test_undo_puts_back_what_nobody_changed_since(ticket_factory, personas):
    a, b, c = (ticket_factory(priority=P.NORMAL) for _ in range(3))
    job = bulk.bulk_start(actor=personas.supervisor, kind="priority", params={"priority": P.URGENT},
                          ticket_ids=[a.pk, b.pk, c.pk])
    assert len(job.changed) == 3
    # someone lowers b by hand afterwards
    services.ticket_set_priority(ticket=b, priority=P.LOW, actor=personas.agent)
    undo = bulk.bulk_undo(bulk=job, actor=personas.supervisor)
    assert undo.undo_of_id == job.pk and [x["id"] for x in undo.changed] == [a.pk, c.pk]
    assert [r["id"] for r in undo.refused] == [b.pk] and "since" in undo.refused[0]["reason"]
    assert {t.pk: t.priority for t in Ticket.objects.filter(pk__in=[a.pk, b.pk, c.pk])} == {
        a.pk: P.NORMAL, b.pk: P.LOW, c.pk: P.NORMAL}
    with pytest.raises(ValidationError):
        bulk.bulk_undo(bulk=job, actor=personas.supervisor)  # once
    with pytest.raises(ValidationError):
        bulk.bulk_undo(bulk=undo, actor=personas.supervisor)  # an undo is not undone


def test_tag_in_bulk_and_undo_takes_only_that_tag_off(ticket_factory, personas):
    keep = services.tag_create(name="keep", actor=personas.manager)
    add = services.tag_create(name="add", actor=personas.manager)
    t = ticket_factory()
    services.ticket_set_tags(ticket=t, tags=[keep], actor=personas.agent)
    job = bulk.bulk_start(actor=personas.agent, kind="tag", params={"tag": add.pk}, ticket_ids=[t.pk])
    assert set(Ticket.objects.get(pk=t.pk).tags.values_list("name", flat=True)) == {"keep", "add"}
    bulk.bulk_undo(bulk=job, actor=personas.agent)
    assert list(Ticket.objects.get(pk=t.pk).tags.values_list("name", flat=True)) == ["keep"]


def test_a_large_selection_runs_in_the_background_and_the_sweep_finishes_it(ticket_factory, personas,
                                                                          django_capture_on_commit_callbacks):
    tickets = [ticket_factory(priority=P.NORMAL) for _ in range(bulk.INLINE + 5)]
    # the broker is not reached (no on-commit callbacks run here): the row waits
    job = bulk.bulk_start(actor=personas.supervisor, kind="priority", params={"priority": P.HIGH},
                          ticket_ids=[t.pk for t in tickets])
    assert job.state == BulkAction.State.PENDING and job.position == 0
    # the safety net finds it once it is a minute old, and finishes it
    assert bulk.bulk_actions_resume(now=timezone.now()) == 0
    assert bulk.bulk_actions_resume(now=timezone.now() + timedelta(minutes=2)) == 1
    job.refresh_from_db()
    assert job.state == BulkAction.State.DONE and len(job.changed) == len(tickets)
    assert TicketEvent.objects.filter(kind="priority", message=f"Bulk change #{job.pk}").count() == len(tickets)
    # queued on commit, the task runs it (eager Celery here)
    with django_capture_on_commit_callbacks(execute=True):
        job2 = bulk.bulk_start(actor=personas.supervisor, kind="priority", params={"priority": P.LOW},
                               ticket_ids=[t.pk for t in tickets])
    job2.refresh_from_db()
    assert job2.state == BulkAction.State.DONE and len(job2.changed) == len(tickets)


def test_a_crash_mid_batch_applies_nothing_of_it_and_the_rerun_applies_each_once(ticket_factory, personas,
                                                                               monkeypatch):
    tickets = [ticket_factory(priority=P.NORMAL) for _ in range(bulk.INLINE + 5)]
    job = bulk.bulk_start(actor=personas.supervisor, kind="priority", params={"priority": P.HIGH},
                          ticket_ids=[t.pk for t in tickets])
    real = services.ticket_set_priority
    calls = {"n": 0}

    def dies_on_the_seventh(**kw):
        calls["n"] += 1
        if calls["n"] == 7:
            raise RuntimeError("worker killed")
        return real(**kw)

    monkeypatch.setattr(services, "ticket_set_priority", dies_on_the_seventh)
    with pytest.raises(RuntimeError):
        bulk.bulk_run(bulk_id=job.pk, batch=10)
    job.refresh_from_db()
    assert job.position == 0 and job.changed == []
    assert not TicketEvent.objects.filter(kind="priority").exists()  # the batch rolled back whole
    monkeypatch.setattr(services, "ticket_set_priority", real)
    bulk.bulk_run(bulk_id=job.pk, batch=10)
    job.refresh_from_db()
    assert job.state == BulkAction.State.DONE and len(job.changed) == len(tickets)
    for t in tickets:
        assert TicketEvent.objects.filter(ticket=t, kind="priority").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runners_at_once_apply_each_ticket_once(customer_factory, personas):
    customer = customer_factory()
    tickets = [services.ticket_create(customer=customer, kind=Ticket.Kind.REPAIR, subject=f"t{i}",
                                      created_by=personas.frontdesk) for i in range(bulk.INLINE + 40)]
    job = bulk.bulk_start(actor=personas.supervisor, kind="priority", params={"priority": P.URGENT},
                          ticket_ids=[t.pk for t in tickets])
    barrier, errors = threading.Barrier(2), []

    def run():
        try:
            barrier.wait()
            bulk.bulk_run(bulk_id=job.pk, batch=5)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    bulk.bulk_run(bulk_id=job.pk)  # whoever stepped aside, finish
    assert errors == []
    job.refresh_from_db()
    assert job.state == BulkAction.State.DONE and len(job.changed) == len(tickets)
    assert TicketEvent.objects.filter(kind="priority").count() == len(tickets)


def test_the_list_page_bulk_bar_and_the_result_page(client_for, ticket_factory, personas):
    tickets = [ticket_factory(subject=f"Leak {i}", priority=P.NORMAL) for i in range(3)]
    other = ticket_factory(subject="Other thing", priority=P.NORMAL)
    client = client_for("supervisor")
    page = client.get(reverse("tickets:list")).content.decode()
    assert 'name="ids"' in page and "data-select-all" in page
    bar = client.get(reverse("tickets:bulk_bar") + "?q=leak").content.decode()
    assert 'value="priority:1"' in bar and 'value="q=leak"' in bar
    # every ticket matching the filter, not the one that does not match
    r = client.post(reverse("tickets:bulk"), {"action": f"priority:{P.HIGH}", "scope": "all", "query": "q=leak"})
    assert r.status_code == 302
    job = BulkAction.objects.get()
    assert sorted(job.ticket_ids) == sorted(t.pk for t in tickets)
    assert Ticket.objects.get(pk=other.pk).priority == P.NORMAL
    result = client.get(r["Location"]).content.decode()
    assert "3 of 3 tickets processed." in result and "Undo this bulk change" in result
    # the ticked ones only; nothing ticked says so
    r = client.post(reverse("tickets:bulk"), {"action": f"priority:{P.LOW}", "scope": "selected",
                                              "ids": [str(other.pk)]})
    assert Ticket.objects.get(pk=other.pk).priority == P.LOW
    r = client.post(reverse("tickets:bulk"), {"action": f"priority:{P.LOW}", "scope": "selected"}, follow=True)
    assert "Select at least one ticket." in r.content.decode()
    r = client.post(reverse("tickets:bulk"), {"action": "nonsense:1", "scope": "selected", "ids": ["x"]}, follow=True)
    assert r.status_code == 200
    # someone else's bulk change is theirs (and the supervisors')
    assert client_for("agent2").get(reverse("tickets:bulk_detail", args=[job.pk])).status_code == 403
    assert client_for("technician").get(reverse("tickets:bulk_bar")).status_code == 403
    assert client_for("technician").post(reverse("tickets:bulk"), {}).status_code == 403


@pytest.mark.parametrize("action", ["assign:x", "tag:9999999999999999999999", "macro:-1", "priority:x", "status:nope",
                                    "assign:", ":", "tag:1e3"])
def test_bad_bulk_input_is_a_message_not_a_500(client_for, ticket_factory, action):
    t = ticket_factory()
    r = client_for("supervisor").post(reverse("tickets:bulk"), {"action": action, "scope": "selected",
                                                                "ids": [str(t.pk)]}, follow=True)
    assert r.status_code == 200 and not BulkAction.objects.exists()


def test_every_matching_ticket_with_a_broken_filter_changes_nothing_wrongly(client_for, ticket_factory):
    calm = ticket_factory(priority=Ticket.Priority.LOW)
    r = client_for("supervisor").post(reverse("tickets:bulk"), {
        "action": f"priority:{Ticket.Priority.URGENT}", "scope": "all",
        "query": "priority=zzz&created_from=9999-99-99&assignee=%00"}, follow=True)
    assert "Nothing was changed." in r.content.decode()  # back on the list, which shows the filter errors
    # an invalid filter is not "no filter": the bulk change is refused, not widened to every ticket
    assert Ticket.objects.get(pk=calm.pk).priority == Ticket.Priority.LOW and not BulkAction.objects.exists()
