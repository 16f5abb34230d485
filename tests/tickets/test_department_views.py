"""Department hand-offs on the pages (issue 17): who may open and answer a handed complaint, the
errors in both languages, and the department list's fixed number of queries."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from servicedesk.models import Team
from tickets import services
from tickets.models import ComplaintHandoff, Department, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(personas, customer_factory):
    team = Team.objects.create(name="Complaints", supervisor=personas.supervisor)
    dept = Department.objects.create(name="质量部", name_en="Quality", head=personas.technician,
                                     accept_hours=Decimal("4"), findings_hours=Decimal("8"))
    dept.members.add(personas.technician2)

    def complaint(subject="Engineer was rude", handed=True):
        ticket = services.ticket_create(customer=customer_factory(name="Li Na"), kind=Ticket.Kind.COMPLAINT,
                                        subject=subject, created_by=personas.frontdesk, team=team,
                                        assignee=personas.agent)
        if handed:
            services.complaint_update(ticket=ticket, actor=personas.supervisor, category="quality", department=dept)
        return Ticket.objects.get(pk=ticket.pk)

    return {"team": team, "dept": dept, "complaint": complaint}


def post_action(client, ticket, action, **fields):
    handoff = ComplaintHandoff.objects.filter(ticket=ticket).latest("id")
    data = {f"{action}-version": ticket.version, f"{action}-handoff": handoff.pk,
            **{f"{action}-{k}": v for k, v in fields.items()}}
    return client.post(reverse("tickets:action", args=[ticket.pk, action]), data)


def test_a_member_without_ticket_access_opens_the_handed_complaint_and_accepts_it(world, personas, client_for):
    ticket = world["complaint"]()
    other = world["complaint"](subject="Another", handed=False)
    client = client_for("technician")  # the head: a technician, who sees no tickets otherwise
    page = client.get(reverse("tickets:detail", args=[ticket.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "act-handoff_accept" in body and "act-handoff_refuse" in body and "Awaiting acceptance" in body
    # but not a complaint that was never handed to the department, nor the ticket lists
    assert client.get(reverse("tickets:detail", args=[other.pk])).status_code == 403
    assert client.get(reverse("tickets:list")).status_code == 403
    # the accept form loads, and accepting works
    assert client.get(reverse("tickets:action", args=[ticket.pk, "handoff_accept"])).status_code == 200
    response = post_action(client, ticket, "handoff_accept")
    assert response.status_code == 302
    assert ComplaintHandoff.objects.get(ticket=ticket).state == "accepted"
    page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "You accepted the complaint for Quality." in page


@pytest.mark.parametrize("role, detail, answer", [
    ("agent", 200, 403),        # sees tickets, is no member: cannot answer for the department
    ("supervisor", 200, 403),
    ("manager", 200, 403),
    ("frontdesk", 200, 403),
    ("outsider", 403, 403),     # no role, no department
    ("technician2", 200, 302),  # a member (technician) answers
])
def test_who_may_open_and_answer_a_hand_off(world, personas, client_for, role, detail, answer):
    ticket = world["complaint"]()
    personas.technician2
    client = client_for(role)
    assert client.get(reverse("tickets:detail", args=[ticket.pk])).status_code == detail
    assert post_action(client, ticket, "handoff_accept").status_code == answer
    expected = "accepted" if answer == 302 else "pending"
    assert ComplaintHandoff.objects.get(ticket=ticket).state == expected


def test_anonymous_is_sent_to_the_login_page(world, client):
    ticket = world["complaint"]()
    for url in (reverse("tickets:detail", args=[ticket.pk]), reverse("tickets:department_complaints"),
                reverse("tickets:action", args=[ticket.pk, "handoff_accept"])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("lang, text", [("en", "Give a reason for refusing the complaint."),
                                        ("zh-hans", "请说明拒绝该投诉的理由。")])
def test_refusing_without_a_reason_is_a_clear_error_in_both_languages(world, personas, client_for, lang, text):
    ticket = world["complaint"]()
    client = client_for("technician")
    handoff = ComplaintHandoff.objects.get(ticket=ticket)
    response = client.post(reverse("tickets:action", args=[ticket.pk, "handoff_refuse"]),
                           {"handoff_refuse-version": ticket.version, "handoff_refuse-handoff": handoff.pk,
                            "handoff_refuse-reason": ""}, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 400
    assert text in response.content.decode()
    assert ComplaintHandoff.objects.get(ticket=ticket).state == "pending"


def test_a_stale_hand_off_is_refused_without_saving(world, personas, client_for):
    ticket = world["complaint"]()
    old = ComplaintHandoff.objects.get(ticket=ticket)
    other = Department.objects.create(name="物流部", name_en="Logistics")
    other.members.add(personas.technician)
    services.complaint_update(ticket=ticket, actor=personas.supervisor, category="quality", department=other)
    ticket.refresh_from_db()
    client = client_for("technician")  # head of the first, member of the second
    response = client.post(reverse("tickets:action", args=[ticket.pk, "handoff_accept"]),
                           {"handoff_accept-version": ticket.version, "handoff_accept-handoff": old.pk})
    assert response.status_code == 409
    assert not ComplaintHandoff.objects.filter(state="accepted").exists()


def test_refusal_through_the_page_reaches_the_supervisors_list(world, personas, client_for):
    ticket = world["complaint"]()
    response = post_action(client_for("technician2"), ticket, "handoff_refuse", reason="Not our product")
    assert response.status_code == 302
    page = client_for("supervisor").get(reverse("tickets:complaints_awaiting")).content.decode()
    assert ticket.number in page and "Not our product" in page


@pytest.mark.parametrize("role, status", [("technician", 200), ("agent", 200), ("supervisor", 200),
                                          ("manager", 200), ("outsider", 200), ("frontdesk", 200)])
def test_department_list_shows_only_ones_own_departments(world, personas, client_for, role, status):
    ticket = world["complaint"]()
    response = client_for(role).get(reverse("tickets:department_complaints"))
    assert response.status_code == status
    body = response.content.decode()
    sees = role in ("technician", "supervisor", "manager")  # the head; supervisors and managers see all
    assert (ticket.number in body) is sees
    if not sees:
        assert "not the head or a member of any department" in body


def test_department_list_pending_first_and_fixed_queries(world, personas, client_for, django_assert_max_num_queries):
    first = world["complaint"](subject="First")
    services.complaint_handoff_accept(handoff=ComplaintHandoff.objects.get(ticket=first), actor=personas.technician)
    client = client_for("technician")
    url = reverse("tickets:department_complaints")
    client.get(url)  # warm the session and permission caches
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for n in range(8):
        world["complaint"](subject=f"Later {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get(url).content.decode()
    # the pending ones (newest first) come before the accepted one
    assert body.index("Awaiting acceptance") < body.index(first.number)
    # the state filter and a department not one's own are handled
    assert client.get(url, {"state": "accepted", "department": "999999"}).status_code == 200
    assert client.get(url, {"state": "nonsense", "department": "x"}).status_code == 200


def test_refusals_past_the_shown_number_are_said_not_cut_silently(world, personas, client_for, monkeypatch):
    from tickets import views

    for subject in ("First", "Second"):
        ticket = world["complaint"](subject=subject)
        services.complaint_handoff_refuse(handoff=ComplaintHandoff.objects.get(ticket=ticket),
                                          actor=personas.technician, reason="Not ours")
    url = reverse("tickets:complaints_awaiting")
    body = client_for("supervisor").get(url).content.decode()
    assert body.count("Not ours") == 2 and "oldest refusals are listed" not in body
    monkeypatch.setattr(views, "REFUSED_SHOWN", 1)
    body = client_for("supervisor").get(url).content.decode()
    assert body.count("Not ours") == 1 and "Only the 1 oldest refusals are listed" in body


def test_a_department_member_opens_the_complaints_attachments(world, personas, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    ticket = world["complaint"]()
    att = services.attachment_add(ticket=ticket, uploaded_by=personas.agent, content_type="text/plain",
                                  file=SimpleUploadedFile("evidence.txt", b"what happened"))
    url = reverse("tickets:attachment", args=[ticket.pk, att.pk])
    assert client_for("technician").get(url).status_code == 200  # the department's head
    other = world["complaint"](subject="Another", handed=False)
    other_att = services.attachment_add(ticket=other, uploaded_by=personas.agent, content_type="text/plain",
                                        file=SimpleUploadedFile("other.txt", b"not theirs"))
    assert client_for("technician").get(reverse("tickets:attachment", args=[other.pk, other_att.pk])).status_code == 403
