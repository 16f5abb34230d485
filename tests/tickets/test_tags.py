"""Tags on tickets (issue 19 item 4): a managed list, free tagging by permission, the timeline, the
list's filter (fixed queries, no COUNT), the tags page's counts, and who may do what."""
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tickets import selectors
from tickets.models import Tag, Ticket, TicketEvent, TicketTag
from tickets.services import tag_create, ticket_set_tags, ticket_transition

pytestmark = pytest.mark.django_db


@pytest.fixture
def tags(personas):
    return {n: tag_create(name=n, actor=personas.manager) for n in ("billing", "installation", "noise")}


def test_tags_put_on_and_taken_off_with_one_event_each_time(ticket_factory, personas, tags):
    # given
    ticket = ticket_factory()
    # when
    added, removed = ticket_set_tags(ticket=ticket, tags=[tags["billing"], tags["noise"]], actor=personas.agent)
    added2, removed2 = ticket_set_tags(ticket=ticket, tags=[tags["noise"], tags["installation"]], actor=personas.agent)
    # then
    assert {t.name for t in added} == {"billing", "noise"} and removed == []
    assert [t.name for t in added2] == ["installation"] and [t.name for t in removed2] == ["billing"]
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["installation", "noise"]
    events = list(TicketEvent.objects.filter(ticket=ticket, kind="tags").order_by("id"))
    assert [(e.before, e.after, e.actor_id) for e in events] == [
        ([], ["billing", "noise"], personas.agent.pk),
        (["billing", "noise"], ["installation", "noise"], personas.agent.pk),
    ]
    # the same set again: nothing changes, nothing recorded
    assert ticket_set_tags(ticket=ticket, tags=[tags["noise"], tags["installation"]], actor=personas.agent) == ([], [])
    assert TicketEvent.objects.filter(ticket=ticket, kind="tags").count() == 2


def test_one_tag_whatever_the_letter_case_and_the_database_holds_it(personas):
    first = tag_create(name="  Billing  dispute ", actor=personas.supervisor)
    again = tag_create(name="billing DISPUTE", actor=personas.supervisor)
    assert first.pk == again.pk and first.name == "Billing dispute"
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Tag.objects.create(name="BILLING DISPUTE", created_at=timezone.now())


def test_free_tagging_needs_the_permission_and_the_managed_list_does_not(ticket_factory, personas, tags):
    ticket = ticket_factory()
    # an agent chooses from the list but cannot invent a tag
    with pytest.raises(ValidationError) as e:
        ticket_set_tags(ticket=ticket, tags=[], new_names=["made up"], actor=personas.agent)
    assert e.value.code == "tag_create_forbidden"
    assert not Tag.objects.filter(name="made up").exists()
    # a supervisor may add one while tagging
    added, _ = ticket_set_tags(ticket=ticket, tags=[tags["billing"]], new_names=["Made up"], actor=personas.supervisor)
    assert {t.name for t in added} == {"billing", "Made up"}
    # a technician (no tickets) may not tag at all
    with pytest.raises(ValidationError):
        ticket_set_tags(ticket=ticket, tags=[tags["noise"]], actor=personas.technician)


def test_a_retired_tag_stays_where_it_is_but_is_not_put_on_anew(ticket_factory, personas, tags):
    a, b = ticket_factory(), ticket_factory()
    ticket_set_tags(ticket=a, tags=[tags["noise"]], actor=personas.agent)
    Tag.objects.filter(pk=tags["noise"].pk).update(active=False)
    tags["noise"].refresh_from_db()
    # kept on a (saving the same set does not drop it), not added to b
    assert ticket_set_tags(ticket=a, tags=[tags["noise"], tags["billing"]], actor=personas.agent)[1] == []
    assert ticket_set_tags(ticket=b, tags=[tags["noise"]], actor=personas.agent) == ([], [])
    assert set(a.tags.values_list("name", flat=True)) == {"noise", "billing"}
    assert not b.tags.exists()


def test_a_bulk_change_to_the_list_reaches_the_filter_choices(personas, tags):
    assert ("%d" % tags["billing"].pk, "billing") in selectors.tag_choices()
    Tag.objects.filter(pk=tags["billing"].pk).update(name="invoices")  # a QuerySet update renews the memo
    assert ("%d" % tags["billing"].pk, "invoices") in selectors.tag_choices()


def test_list_filter_by_tag_in_a_fixed_number_of_queries(client_for, ticket_factory, personas, tags):
    tagged = [ticket_factory(subject=f"Tagged {i}") for i in range(3)]
    other = ticket_factory(subject="Not tagged")
    for t in tagged[:1]:
        ticket_set_tags(ticket=t, tags=[tags["billing"]], actor=personas.agent)
    client = client_for("agent")
    url = reverse("tickets:list") + f"?tag={tags['billing'].pk}"
    client.get(url)  # warm the per-thread tables
    with CaptureQueriesContext(connection) as one:
        page = client.get(url)
    assert page.status_code == 200
    assert tagged[0].number in page.content.decode() and other.number not in page.content.decode()
    for t in tagged[1:]:
        ticket_set_tags(ticket=t, tags=[tags["billing"]], actor=personas.agent)
    with CaptureQueriesContext(connection) as three:
        page = client.get(url)
    body = page.content.decode()
    assert all(t.number in body for t in tagged) and other.number not in body
    assert len(three.captured_queries) == len(one.captured_queries)
    assert not any("COUNT(" in q["sql"].upper() and "tickets_ticket" in q["sql"] for q in three.captured_queries)
    # an unknown tag is a form error, not a 500
    assert client.get(reverse("tickets:list") + "?tag=999999").status_code == 200


def test_tags_page_counts_open_recent_and_all(client_for, ticket_factory, personas, tags):
    a, b, c = ticket_factory(), ticket_factory(), ticket_factory()
    for t in (a, b, c):
        ticket_set_tags(ticket=t, tags=[tags["billing"]], actor=personas.agent)
    ticket_transition(ticket=c, to_status=Ticket.Status.CANCELLED, actor=personas.agent, reason="duplicate")
    rows = {t.name: t for t in selectors.tag_counts(now=timezone.now())}
    assert (rows["billing"].open_now, rows["billing"].recent, rows["billing"].total) == (2, 3, 3)
    assert (rows["noise"].open_now, rows["noise"].total) == (0, 0)
    page = client_for("agent").get(reverse("tickets:tags"))
    assert page.status_code == 200 and "billing" in page.content.decode()
    assert "New tag" not in page.content.decode()  # agents read the counts; managers curate


def test_manager_curates_the_list_and_others_cannot(client_for, personas, tags):
    manager = client_for("manager")
    r = manager.post(reverse("tickets:tags"), {"name": "Warranty claim", "colour": "danger", "active": "on"})
    assert r.status_code == 302 and Tag.objects.filter(name="Warranty claim", colour="danger").exists()
    r = manager.post(reverse("tickets:tags"), {"name": "BILLING", "colour": "danger", "active": "on"})
    assert r.status_code == 400 and "already a tag with this name" in r.content.decode()
    edit = reverse("tickets:tags") + f"?edit={tags['noise'].pk}"
    assert manager.post(edit, {"name": "noise", "colour": "warning"}).status_code == 302
    assert not Tag.objects.get(pk=tags["noise"].pk).active  # unticked: retired
    assert manager.get(reverse("tickets:tags") + "?edit=abc").status_code == 404
    assert client_for("agent").post(reverse("tickets:tags"), {"name": "x", "colour": "info"}).status_code == 403


def test_tag_panel_on_the_ticket_page(client_for, ticket_factory, personas, tags):
    ticket = ticket_factory()
    client = client_for("agent")
    url = reverse("tickets:action", args=[ticket.pk, "tags"])
    form = client.get(url)
    assert form.status_code == 200 and "billing" in form.content.decode()
    assert "new_tags" not in form.content.decode()  # agents choose from the list
    r = client.post(url, {"tags-version": ticket.version, "tags-tags": [tags["billing"].pk, tags["noise"].pk]},
                    follow=True)
    assert "Tags saved: " in r.content.decode()
    detail = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert f'?tag={tags["billing"].pk}' in detail
    # a supervisor may type new ones
    sup = client_for("supervisor")
    r = sup.post(url, {"tags-version": ticket.version, "tags-tags": [tags["billing"].pk],
                       "tags-new_tags": "Callback needed, 回访"}, follow=True)
    assert r.status_code == 200
    assert set(TicketTag.objects.filter(ticket=ticket).values_list("tag__name", flat=True)) == {
        "billing", "Callback needed", "回访"}
    # a technician is refused
    assert client_for("technician").post(url, {"tags-version": ticket.version}).status_code == 403
