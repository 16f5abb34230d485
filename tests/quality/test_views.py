"""Pages per role (table-driven), who sees which slip, recording with a photo, acknowledging, withdrawing,
inspecting, responding and overturning; fixed queries per page at 1 and many rows."""
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from quality.models import DemeritSlip, Finding, InspectionTask, QualityEvent

from .conftest import at

pytestmark = pytest.mark.django_db

NOW = at(2026, 3, 20, 10)
ROLES = ["frontdesk", "agent", "supervisor", "technician", "manager", "outsider"]
ALLOWED = {
    "slips": {"frontdesk", "agent", "supervisor", "technician", "manager"},
    "my_slips": {"frontdesk", "agent", "supervisor", "technician", "manager"},
    "findings": {"frontdesk", "agent", "supervisor", "technician", "manager"},
    "slip_new": {"supervisor", "manager"},
    "queue": {"supervisor", "manager"},
}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.parametrize("name", sorted(ALLOWED))
@pytest.mark.parametrize("role", ROLES + [None])
def test_permission_table(client_for, team, name, role):
    response = client_for(role).get(reverse(f"quality:{name}"))
    if role is None:
        assert response.status_code == 302 and "/login" in response["Location"]
    elif role in ALLOWED[name]:
        assert response.status_code == 200
    else:
        assert response.status_code == 403


# who may open a slip about the front desk (on the supervisor's team) and one about agent2 (on no team)
SLIP_ACCESS = {
    "frontdesk": {"own": 200, "colleague": 404},
    "agent": {"own": 404, "colleague": 404},
    "technician": {"own": 404, "colleague": 404},
    "supervisor": {"own": 200, "colleague": 404},
    "manager": {"own": 200, "colleague": 200},
    "outsider": {"own": 403, "colleague": 403},
}


@pytest.mark.parametrize("role", sorted(SLIP_ACCESS))
def test_who_opens_which_slip(client_for, team, personas, make_slip, role):
    team_slip = make_slip(person=personas.frontdesk, by=personas.manager)
    other_slip = make_slip(person=personas.agent2, by=personas.manager, evidence=None)
    client = client_for(role)
    for key, slip in (("own", team_slip), ("colleague", other_slip)):
        assert client.get(reverse("quality:slip_detail", args=[slip.pk])).status_code == SLIP_ACCESS[role][key]
    # lists show the same people: nobody sees a slip in a list they could not open
    listed = client.get(reverse("quality:slips"))
    if listed.status_code == 200:
        shown = {s.pk for s in listed.context["page"].object_list}
        expected = {s.pk for key, s in (("own", team_slip), ("colleague", other_slip))
                    if SLIP_ACCESS[role][key] == 200}
        assert shown == expected


def test_supervisor_records_a_slip_with_a_photo_the_person_acknowledges(client_for, team, personas, category,
                                                                        django_capture_on_commit_callbacks):
    # given: the supervisor records a slip for the front desk, with a photo; points from the category
    client = client_for("supervisor")
    photo = SimpleUploadedFile("desk.png", PNG, content_type="image/png")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("quality:slip_new"), {
            "person": personas.frontdesk.pk, "category": category.pk, "occurred_at": "2026-03-20T09:15",
            "description": "Desk empty 09:15–09:40", "points": "", "fine": "", "evidence": photo})
    slip = DemeritSlip.objects.get()
    assert response.status_code == 302
    assert (slip.points, slip.fine) == (category.default_points, category.default_fine)
    assert slip.occurred_at == at(2026, 3, 20, 9, 15)
    assert slip.evidence_type == "image/png"
    note = personas.frontdesk.notifications.get()
    assert note.url == reverse("quality:slip_detail", args=[slip.pk])

    # the photo is served only to those who may see the slip
    assert client.get(reverse("quality:slip_evidence", args=[slip.pk])).status_code == 200
    assert client_for("agent").get(reverse("quality:slip_evidence", args=[slip.pk])).status_code == 404

    # when: the front desk acknowledges with their side
    client = client_for("frontdesk")
    response = client.post(reverse("quality:slip_detail", args=[slip.pk]),
                           {"action": "acknowledge", "response": "The phone queue was full; I went to help"})
    # then
    assert response.status_code == 302
    slip.refresh_from_db()
    assert slip.acknowledged_at == NOW and slip.response.startswith("The phone queue")
    # a second acknowledgement is refused with a message, not a 500
    again = client.post(reverse("quality:slip_detail", args=[slip.pk]), {"action": "acknowledge", "response": ""})
    assert again.status_code == 400
    assert "already acknowledged" in again.content.decode()
    assert list(slip.events.values_list("kind", flat=True)) == ["slip_recorded", "slip_acknowledged"]


def test_the_recorder_can_change_the_points(client_for, team, personas, category):
    client_for("supervisor").post(reverse("quality:slip_new"), {
        "person": personas.agent.pk, "category": category.pk, "occurred_at": "2026-03-19T16:00",
        "description": "Report late", "points": "0.5", "fine": "5"})
    slip = DemeritSlip.objects.get()
    assert (slip.points, slip.fine) == (Decimal("0.5"), Decimal("5"))


@pytest.mark.parametrize("language, expected", [("en", "does not look like a .png file"),
                                                ("zh-hans", "格式不符")])
def test_bad_upload_is_refused_with_a_clear_message(client_for, team, personas, category, language, expected):
    from django.conf import settings

    client = client_for("supervisor")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    fake = SimpleUploadedFile("desk.png", b"MZ\x90\x00 not a picture", content_type="image/png")
    response = client.post(reverse("quality:slip_new"), {
        "person": personas.frontdesk.pk, "category": category.pk, "occurred_at": "2026-03-20T09:15",
        "description": "x", "evidence": fake}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    assert expected in response.content.decode()
    assert DemeritSlip.objects.count() == 0


def test_a_pdf_is_not_a_photo(client_for, team, personas, category):
    pdf = SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n%...", content_type="application/pdf")
    response = client_for("supervisor").post(reverse("quality:slip_new"), {
        "person": personas.frontdesk.pk, "category": category.pk, "occurred_at": "2026-03-20T09:15",
        "description": "x", "evidence": pdf})
    assert response.status_code == 400
    assert "must be a photo" in response.content.decode()
    assert DemeritSlip.objects.count() == 0


def test_supervisor_cannot_record_for_someone_outside_the_team(client_for, team, personas, category):
    response = client_for("supervisor").post(reverse("quality:slip_new"), {
        "person": personas.agent2.pk, "category": category.pk, "occurred_at": "2026-03-20T09:15",
        "description": "x"})
    assert response.status_code == 400 and DemeritSlip.objects.count() == 0


def test_future_time_is_refused(client_for, team, personas, category):
    response = client_for("supervisor").post(reverse("quality:slip_new"), {
        "person": personas.frontdesk.pk, "category": category.pk, "occurred_at": "2026-03-21T09:15",
        "description": "x"})
    assert response.status_code == 400 and "in the future" in response.content.decode()


def test_withdraw_is_logged_and_not_for_the_person(client_for, team, personas, make_slip):
    slip = make_slip(person=personas.frontdesk)
    # the person cannot withdraw their own slip
    assert client_for("frontdesk").post(reverse("quality:slip_detail", args=[slip.pk]),
                                        {"action": "withdraw", "reason": "no"}).status_code == 403
    # a reason is required
    assert client_for("manager").post(reverse("quality:slip_detail", args=[slip.pk]),
                                      {"action": "withdraw", "reason": ""}).status_code == 400
    response = client_for("manager").post(reverse("quality:slip_detail", args=[slip.pk]),
                                          {"action": "withdraw", "reason": "Cover had been arranged"})
    assert response.status_code == 302
    slip.refresh_from_db()
    assert slip.withdrawn_by == personas.manager and slip.withdraw_reason == "Cover had been arranged"
    event = slip.events.get(kind=QualityEvent.Kind.SLIP_WITHDRAWN)
    assert event.actor == personas.manager and event.before == {"points": "2.0", "fine": "20.00"}


def test_inspect_a_ticket_then_respond_and_overturn(client_for, team, personas, make_ticket):
    from quality.models import ChecklistItem, DailySample, SeverityLevel

    sample = DailySample.objects.create(day=at(2026, 3, 19).date(), created_at=NOW)
    ticket = make_ticket(opened_at=at(2026, 3, 19, 9), resolve_at=at(2026, 3, 19, 15))
    task = InspectionTask.objects.create(sample=sample, kind="ticket", reason="random", ticket=ticket,
                                         person=personas.agent, occurred_at=ticket.resolved_at)
    items = list(ChecklistItem.objects.filter(active=True))
    heavy = SeverityLevel.objects.get(code="heavy")
    data = {f"result_{i.pk}": "pass" for i in items}
    data[f"result_{items[1].pk}"] = str(heavy.pk)
    # a finding without a note is sent back
    client = client_for("supervisor")
    assert client.post(reverse("quality:inspect", args=[task.pk]), data).status_code == 400
    data[f"note_{items[1].pk}"] = "Fault description missing"
    assert client.post(reverse("quality:inspect", args=[task.pk]), data).status_code == 302
    finding = Finding.objects.get()
    assert (finding.person, finding.points, finding.item) == (personas.agent, heavy.points, items[1])
    # inspected once only
    assert client.post(reverse("quality:inspect", args=[task.pk]), data).status_code == 400

    # the agent sees the finding, responds; a colleague cannot open it
    agent = client_for("agent")
    assert agent.get(reverse("quality:findings") + "?mine=1").context["page"].object_list == [finding]
    agent.post(reverse("quality:finding_detail", args=[finding.pk]),
               {"action": "respond", "response": "The customer gave it by phone; it is in the call notes"})
    assert client_for("frontdesk").get(reverse("quality:finding_detail", args=[finding.pk])).status_code == 404
    assert client_for("agent").post(reverse("quality:finding_detail", args=[finding.pk]),
                                    {"action": "overturn", "reason": "x"}).status_code == 403
    # the supervisor overturns it on review
    response = client_for("supervisor").post(reverse("quality:finding_detail", args=[finding.pk]),
                                             {"action": "overturn", "reason": "It was in the call notes"})
    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.overturned_by == personas.supervisor and finding.response.startswith("The customer")
    assert list(finding.events.values_list("kind", flat=True)) == ["finding_responded", "finding_overturned"]


def test_an_inspector_cannot_inspect_their_own_work(client_for, team, personas, make_ticket):
    from quality.models import DailySample

    sample = DailySample.objects.create(day=at(2026, 3, 19).date(), created_at=NOW)
    ticket = make_ticket(opened_at=at(2026, 3, 19, 9), resolve_at=at(2026, 3, 19, 15), assignee="supervisor")
    task = InspectionTask.objects.create(sample=sample, kind="ticket", reason="random", ticket=ticket,
                                         person=personas.supervisor, occurred_at=ticket.resolved_at)
    from quality.models import ChecklistItem

    data = {f"result_{i.pk}": "pass" for i in ChecklistItem.objects.all()}
    response = client_for("supervisor").post(reverse("quality:inspect", args=[task.pk]), data)
    assert response.status_code == 400 and "your own work" in response.content.decode()
    task.refresh_from_db()
    assert task.status == "pending"


def test_a_manager_can_grant_inspection_to_one_person(client, personas):
    from django.contrib.auth.models import Permission

    client.force_login(personas.agent)
    assert client.get(reverse("quality:queue")).status_code == 403
    personas.agent.user_permissions.add(Permission.objects.get(content_type__app_label="quality", codename="inspect"))
    assert client.get(reverse("quality:queue")).status_code == 200


@pytest.mark.parametrize("rows", [1, 30])
def test_pages_have_a_fixed_number_of_queries(client_for, team, personas, make_slip, make_finding, rows,
                                              django_assert_max_num_queries):
    for i in range(rows):
        make_slip(person=personas.frontdesk if i % 2 else personas.agent, occurred_at=at(2026, 3, 10, 9))
        make_finding(person=personas.agent, occurred_at=at(2026, 3, 10, 9 + i % 10))
    client = client_for("manager")
    for url in (reverse("quality:slips"), reverse("quality:slips") + "?month=2026-03",
                reverse("quality:findings"), reverse("quality:findings") + "?severity=2&month=2026-03",
                reverse("quality:queue"), reverse("quality:my_slips")):
        with django_assert_max_num_queries(14):
            assert client.get(url).status_code == 200
    # and the pages hold the rows (paginated, 25 a page)
    page = client.get(reverse("quality:findings")).context["page"]
    assert len(page.object_list) == min(rows, 25) and page.has_next == (rows > 25)


@pytest.mark.parametrize("extra_items", [0, 30])
def test_detail_and_form_pages_have_a_fixed_number_of_queries(client_for, team, personas, make_slip, make_finding,
                                                              extra_items, django_assert_max_num_queries):
    from quality.models import ChecklistItem

    ChecklistItem.objects.bulk_create(ChecklistItem(name=f"检查项 {i}", order=100 + i) for i in range(extra_items))
    slip = make_slip(person=personas.frontdesk)
    finding = make_finding(person=personas.agent, occurred_at=at(2026, 3, 10, 9))
    task = InspectionTask.objects.create(sample=finding.task.sample, kind="ticket", reason="random",
                                         ticket=finding.task.ticket.__class__.objects.create(
                                             number="SR-2026-999999", kind="repair", subject="x",
                                             customer=finding.task.ticket.customer, created_by=personas.frontdesk),
                                         person=personas.agent, occurred_at=at(2026, 3, 10, 9))
    client = client_for("supervisor")
    for url in (reverse("quality:slip_new"), reverse("quality:slip_detail", args=[slip.pk]),
                reverse("quality:finding_detail", args=[finding.pk]), reverse("quality:inspect", args=[task.pk]),
                reverse("quality:inspect", args=[finding.task.pk])):
        with django_assert_max_num_queries(14):
            assert client.get(url).status_code == 200
