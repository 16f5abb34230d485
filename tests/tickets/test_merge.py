"""Issue 19 item 7: merging a customer's duplicate ticket into the one that goes on, and linking tickets."""
import threading
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from customers.models import Contact
from dispatch.models import Skill, WorkOrder
from sla.models import SLAClock
from tickets import merge
from tickets.models import Ticket, TicketEvent, TicketLink, TicketReply, TicketTag
from tickets.services import attachment_add, tag_create, ticket_reply, ticket_set_tags, ticket_transition

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # a Monday morning
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _rows_on(ticket_id):
    """(label → rows pointing at the ticket) over every foreign key the merge moves, and its SLA clocks."""
    out = {}
    for model, f in merge._reverse_foreign_keys():
        out[model._meta.label + "." + f.name] = model._base_manager.filter(**{f.attname: ticket_id}).count()
    out["sla.SLAClock"] = SLAClock.objects.filter(ticket_id=ticket_id, handoff__isnull=True).count()
    return out


@pytest.fixture
def pair(customer_factory, ticket_factory, personas):
    """An older ticket (the survivor) and the customer's second call about it the next hour (the duplicate)."""
    customer = customer_factory(email="wang@example.com")
    with time_machine.travel(T0, tick=False):
        survivor = ticket_factory(customer=customer, subject="Air conditioner not cooling", now=T0)
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        duplicate = ticket_factory(customer=customer, subject="Called again: still not cooling",
                                   now=T0 + timedelta(hours=1))
    return survivor, duplicate


def test_merge_moves_every_related_row_and_cancels_the_duplicate_with_a_pointer(pair, personas, ticket_factory):
    # given: the duplicate has replies, a note, a file, a contact, tags and a work order, and is linked elsewhere
    survivor, dup = pair
    now = T0 + timedelta(hours=2)
    with time_machine.travel(now, tick=False):
        ticket_reply(ticket=dup, author=personas.agent, body="We are on it", public=True, now=now)
        ticket_reply(ticket=dup, author=personas.agent, body="internal", public=False, now=now)
        attachment_add(ticket=dup, uploaded_by=personas.agent, file=SimpleUploadedFile("p.png", PNG, "image/png"),
                       content_type="image/png", now=now)
        Contact.objects.create(customer=dup.customer, ticket=dup, channel="phone", handled_by=personas.frontdesk,
                               started_at=now)
        shared, own = tag_create(name="aircon", actor=personas.supervisor), tag_create(name="vip", actor=personas.supervisor)
        ticket_set_tags(ticket=survivor, tags=[shared], actor=personas.agent, now=now)
        ticket_set_tags(ticket=dup, tags=[shared, own], actor=personas.agent, now=now)
        skill = Skill.objects.create(name="Air conditioning", code="aircon")
        from dispatch.services import workorder_create

        from customers.models import Region

        region = Region.objects.create(name="Chaoyang", code="chaoyang")
        wo = workorder_create(ticket=dup, created_by=personas.agent, skill=skill, estimated_value=Decimal(500), region=region, address="3 Jianguo Rd",
                              window_start=now + timedelta(hours=3), window_end=now + timedelta(hours=5), now=now)
        elsewhere = ticket_factory(subject="Outage in the block")
        merge.ticket_link(ticket=dup, other=elsewhere, role="parent", actor=personas.agent, now=now)
    before_sur, before_dup = _rows_on(survivor.pk), _rows_on(dup.pk)
    assert sum(before_dup.values()) > 10
    dup_clocks = before_dup["sla.SLAClock"]

    # when
    with time_machine.travel(now + timedelta(minutes=5), tick=False):
        summary = merge.ticket_merge(survivor=survivor, duplicate=dup, actor=personas.agent)

    # then: every row moved, except the one-per-ticket copies the survivor already had (a tag, its SLA clocks)
    after_sur, after_dup = _rows_on(survivor.pk), _rows_on(dup.pk)
    tags_key = "tickets.TicketTag.ticket"
    for key, n in before_dup.items():
        if key in (tags_key, "sla.SLAClock", "tickets.TicketEvent.ticket"):
            continue
        assert after_dup[key] == 0, key
        assert after_sur[key] == before_sur[key] + n, key
    assert after_dup[tags_key] == 1 and after_sur[tags_key] == 2
    assert after_dup["sla.SLAClock"] == dup_clocks  # the survivor has its own of every target
    assert summary["kept"] == {str(TicketTag._meta.verbose_name_plural): 1,
                               str(SLAClock._meta.verbose_name_plural): dup_clocks}
    # the duplicate's timeline moved; it keeps only what happened to it at the merge
    assert set(TicketEvent.objects.filter(ticket=dup).values_list("kind", flat=True)) == {"merged_into", "status"}
    assert TicketReply.objects.filter(ticket=survivor).count() == 2
    survivor.refresh_from_db()
    dup.refresh_from_db()
    assert dup.status == Ticket.Status.CANCELLED and dup.merged_into_id == survivor.pk
    assert dup.cancel_reason == f"Merged into {survivor.number}"
    assert sorted(survivor.tag_ids) == sorted([shared.pk, own.pk])
    assert survivor.has_links and not dup.has_links
    assert TicketLink.objects.get().from_ticket_id == elsewhere.pk  # the parent link now hangs on the survivor
    merged = TicketEvent.objects.get(ticket=survivor, kind="merged")
    assert merged.after["number"] == dup.number and merged.actor == personas.agent
    # the work order goes on with the survivor: the duplicate's cancellation did not cancel it
    wo.refresh_from_db()
    assert wo.ticket_id == survivor.pk and wo.status != WorkOrder.Status.CANCELLED
    # the duplicate's own clocks stopped with it: the one its reply met stays met, the others undecided (no
    # breach invented, none hidden); the survivor's run on
    assert not SLAClock.objects.filter(ticket=dup, stopped_at__isnull=True).exists()
    assert set(SLAClock.objects.filter(ticket=dup).values_list("target", "met")) == {
        ("first_response", True), *((t, None) for t in SLAClock.objects.filter(ticket=dup).exclude(
            target="first_response").values_list("target", flat=True))}
    assert survivor.sla_due_at is not None and dup.sla_due_at is None


def test_clocks_the_survivor_lacks_move_to_it(pair, personas):
    survivor, dup = pair
    SLAClock.objects.filter(ticket=survivor).delete()
    targets = set(SLAClock.objects.filter(ticket=dup).values_list("target", flat=True))
    assert targets
    merge.ticket_merge(survivor=survivor, duplicate=dup, actor=personas.agent, now=T0 + timedelta(hours=2))
    assert set(SLAClock.objects.filter(ticket=survivor).values_list("target", flat=True)) == targets
    survivor.refresh_from_db()
    assert survivor.sla_due_at == min(SLAClock.objects.filter(ticket=survivor, stopped_at__isnull=True)
                                      .values_list("deadline", flat=True))


def test_a_merge_cannot_drop_the_earlier_deadline(pair, personas):
    # given: merging the OLDER ticket (earlier deadline) into the newer one
    survivor, dup = pair
    with pytest.raises(ValidationError) as e:
        merge.ticket_merge(survivor=dup, duplicate=survivor, actor=personas.agent, now=T0 + timedelta(hours=2))
    assert e.value.code == "earlier_deadline"
    assert survivor.number in e.value.messages[0] and dup.number in e.value.messages[0]
    # nothing changed
    survivor.refresh_from_db()
    assert survivor.status == Ticket.Status.NEW and survivor.merged_into_id is None
    assert not TicketEvent.objects.filter(kind__in=["merged", "merged_into"]).exists()


@pytest.mark.parametrize("case, code", [
    ("same", "same"), ("other_customer", "other_customer"), ("other_kind", "other_kind"),
    ("closed", "not_open"), ("merged", "already_merged"),
])
def test_merges_refused_with_a_reason(case, code, pair, personas, ticket_factory):
    survivor, dup = pair
    now = T0 + timedelta(hours=2)
    if case == "same":
        survivor = dup
    elif case == "other_customer":
        survivor = ticket_factory(subject="someone else")
    elif case == "other_kind":
        survivor = ticket_factory(customer=dup.customer, kind=Ticket.Kind.INQUIRY, subject="question")
    elif case == "closed":
        ticket_transition(ticket=survivor, to_status=Ticket.Status.CANCELLED, actor=personas.agent, reason="x", now=now)
    elif case == "merged":
        third = ticket_factory(customer=dup.customer, subject="third call", now=now)
        merge.ticket_merge(survivor=survivor, duplicate=third, actor=personas.agent, now=now)
        survivor = third
    with pytest.raises(ValidationError) as e:
        merge.ticket_merge(survivor=survivor, duplicate=dup, actor=personas.agent, now=now)
    assert e.value.code == code
    dup.refresh_from_db()
    assert dup.merged_into_id is None and dup.status == Ticket.Status.NEW


def test_front_desk_cannot_merge(pair, personas):
    survivor, dup = pair
    with pytest.raises(ValidationError) as e:
        merge.ticket_merge(survivor=survivor, duplicate=dup, actor=personas.frontdesk)
    assert e.value.code == "merge_forbidden"


def test_tickets_merged_into_the_duplicate_lead_to_the_survivor(pair, personas, ticket_factory):
    survivor, dup = pair
    now = T0 + timedelta(hours=2)
    third = ticket_factory(customer=dup.customer, subject="third call", now=now)
    merge.ticket_merge(survivor=dup, duplicate=third, actor=personas.agent, now=now)
    merge.ticket_merge(survivor=survivor, duplicate=dup, actor=personas.agent, now=now)
    third.refresh_from_db()
    assert third.merged_into_id == survivor.pk


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_crossed_merges_at_once_one_wins(customer_factory, ticket_factory, personas):
    """A into B and B into A at the same moment: the row locks (in id order) let one through; the other is
    refused because its ticket is merged — never both, never a deadlock."""
    customer = customer_factory()
    a = ticket_factory(customer=customer, subject="a", now=T0)
    b = ticket_factory(customer=customer, subject="b", now=T0)
    SLAClock.objects.filter(ticket__in=[a, b]).delete()  # no deadline decides the direction
    agent_id = personas.agent.pk
    barrier, results = threading.Barrier(2), []

    def run(survivor_id, dup_id):
        from django.contrib.auth import get_user_model

        try:
            actor = get_user_model().objects.get(pk=agent_id)
            s, d = Ticket.objects.get(pk=survivor_id), Ticket.objects.get(pk=dup_id)
            barrier.wait()
            merge.ticket_merge(survivor=s, duplicate=d, actor=actor)
            results.append("ok")
        except ValidationError as e:
            results.append(e.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(a.pk, b.pk)), threading.Thread(target=run, args=(b.pk, a.pk))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == ["already_merged", "ok"]
    assert Ticket.objects.filter(merged_into__isnull=False).count() == 1
    assert TicketEvent.objects.filter(kind="merged").count() == 1


# --- links -------------------------------------------------------------------------------------------------

def test_links_show_from_both_ends_with_their_roles(ticket_factory, personas):
    outage, report = ticket_factory(subject="Block 3 outage"), ticket_factory(subject="No power")
    merge.ticket_link(ticket=report, other=outage, role="parent", actor=personas.agent)
    from tickets.selectors import ticket_links

    report.refresh_from_db()
    outage.refresh_from_db()
    assert [(x["role"], x["other"].number) for x in ticket_links(report)] == [("parent", outage.number)]
    assert [(x["role"], x["other"].number) for x in ticket_links(outage)] == [("child", report.number)]
    assert TicketEvent.objects.filter(kind="linked").count() == 2


def test_one_link_per_pair_in_either_direction(ticket_factory, personas):
    a, b = ticket_factory(subject="a"), ticket_factory(subject="b")
    merge.ticket_link(ticket=a, other=b, role="related", actor=personas.agent)
    with pytest.raises(ValidationError) as e:
        merge.ticket_link(ticket=b, other=a, role="child", actor=personas.agent)
    assert e.value.code == "linked"
    # the database holds it too, not only the service
    with pytest.raises(IntegrityError), transaction.atomic():
        TicketLink.objects.create(from_ticket=b, to_ticket=a, created_by=personas.agent, created_at=T0)
    with pytest.raises(IntegrityError), transaction.atomic():
        TicketLink.objects.create(from_ticket=a, to_ticket=a, created_by=personas.agent, created_at=T0)


def test_unlink_clears_the_flag_when_the_last_link_goes(ticket_factory, personas):
    a, b, c = ticket_factory(subject="a"), ticket_factory(subject="b"), ticket_factory(subject="c")
    ab = merge.ticket_link(ticket=a, other=b, role="related", actor=personas.agent)
    merge.ticket_link(ticket=a, other=c, role="child", actor=personas.agent)
    other = merge.ticket_unlink(ticket=b, link_id=ab.pk, actor=personas.agent)
    assert other.pk == a.pk
    flags = dict(Ticket.objects.filter(pk__in=[a.pk, b.pk, c.pk]).values_list("pk", "has_links"))
    assert flags == {a.pk: True, b.pk: False, c.pk: True}
    with pytest.raises(ValidationError):
        merge.ticket_unlink(ticket=b, link_id=ab.pk, actor=personas.agent)


# --- pages -------------------------------------------------------------------------------------------------

def test_merge_from_the_ticket_page(pair, client_for, personas):
    survivor, dup = pair
    client = client_for("agent")
    url = reverse("tickets:action", args=[dup.pk, "merge"])
    panel = client.get(url).content.decode()
    assert survivor.number in panel and "Moves: " in panel and "SLA clocks:" in panel  # the candidates, the dry run
    # not confirmed → nothing happens, the reason is shown
    response = client.post(url, {"merge-version": dup.version, "merge-into": survivor.pk})
    assert response.status_code == 400 and "Tick the box to confirm the merge." in response.content.decode()
    response = client.post(url, {"merge-version": dup.version, "merge-into": survivor.pk, "merge-confirm": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("tickets:detail", args=[survivor.pk])
    page = client.get(reverse("tickets:detail", args=[dup.pk])).content.decode()
    assert 'id="merged-into"' in page and survivor.number in page
    assert 'action="/tickets/%d/merge/"' % dup.pk not in page  # no second merge offered
    page = client.get(reverse("tickets:detail", args=[survivor.pk])).content.decode()
    assert "merged a duplicate into this ticket" in page and dup.number in page


def test_merge_and_link_permissions_per_role(pair, client_for):
    survivor, dup = pair
    for role, merge_ok, link_ok in [("frontdesk", False, False), ("agent", True, True), ("supervisor", True, True),
                                    ("technician", False, False)]:
        client = client_for(role)
        got = client.get(reverse("tickets:action", args=[dup.pk, "merge"])).status_code
        assert (got == 200) is merge_ok, (role, got)
        got = client.get(reverse("tickets:action", args=[dup.pk, "link"])).status_code
        assert (got == 200) is link_ok, (role, got)
    assert Ticket.objects.get(pk=dup.pk).merged_into_id is None


def test_link_from_the_page_by_number(ticket_factory, client_for):
    a, b = ticket_factory(subject="a"), ticket_factory(subject="<b>bold</b>")
    client = client_for("agent")
    url = reverse("tickets:action", args=[a.pk, "link"])
    bad = client.post(url, {"link-version": a.version, "link-number": "SR-1999-000001", "link-role": "related"})
    assert bad.status_code == 400 and "No ticket has the number SR-1999-000001." in bad.content.decode()
    ok = client.post(url, {"link-version": a.version, "link-number": b.number.lower(), "link-role": "child"})
    assert ok.status_code == 302
    page = client.get(reverse("tickets:detail", args=[a.pk])).content.decode()
    assert 'id="ticket-links"' in page and b.number in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    link = TicketLink.objects.get()
    unlink = client.post(reverse("tickets:action", args=[a.pk, "unlink"]),
                         {"unlink-version": 1, "unlink-link": link.pk})
    assert unlink.status_code == 302 and not TicketLink.objects.exists()


def test_merge_in_chinese(pair, client_for):
    survivor, dup = pair
    client = client_for("agent")
    url = reverse("tickets:action", args=[dup.pk, "merge"])
    response = client.post(url, {"merge-version": dup.version, "merge-into": survivor.pk}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = response.content.decode()
    assert response.status_code == 400 and "Tick the box" not in body


def test_ticket_page_reads_links_in_one_query_however_many(ticket_factory, client_for, django_assert_max_num_queries):
    from tests.tickets.test_query_budgets import DETAIL_BUDGET, _count

    a = ticket_factory(subject="a")
    client = client_for("supervisor")
    url = reverse("tickets:detail", args=[a.pk])
    client.get(url)  # warm-up
    plain = _count(client, url)
    merge.ticket_link(ticket=a, other=ticket_factory(subject="b"), role="related", actor=a.created_by)
    one = _count(client, url)
    for i in range(6):
        merge.ticket_link(ticket=a, other=ticket_factory(subject=f"c{i}"), role="child", actor=a.created_by)
    with django_assert_max_num_queries(DETAIL_BUDGET):
        many = _count(client, url)
    assert one == many == plain + 1
    assert client.get(url).content.decode().count('name="unlink-link"') == 7
