"""Mends from reading the change again: who may undo what, races the database now decides, the links
the bell sends, and no findings against the portal's system account."""
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from quality import services
from quality.models import DemeritSlip, InspectionTask

from .conftest import at

pytestmark = pytest.mark.django_db


def test_a_supervisor_cannot_withdraw_a_slip_about_themselves(personas, make_slip):
    slip = make_slip(person=personas.supervisor, by=personas.manager)
    with pytest.raises(ValidationError) as e:
        services.slip_withdraw(slip=slip, by=personas.supervisor, reason="Not me")
    assert e.value.code == "self" and DemeritSlip.objects.get(pk=slip.pk).withdrawn_at is None


def test_a_slip_withdrawn_after_it_was_read_cannot_be_acknowledged(personas, make_slip):
    slip = make_slip()
    stale = DemeritSlip.objects.get(pk=slip.pk)  # the person's page loaded before the withdrawal
    services.slip_withdraw(slip=slip, by=personas.manager, reason="Wrong day")
    with pytest.raises(ValidationError) as e:
        services.slip_acknowledge(slip=stale, by=personas.frontdesk, response="OK")
    assert e.value.code == "withdrawn" and DemeritSlip.objects.get(pk=slip.pk).acknowledged_at is None


def test_no_response_after_a_finding_is_overturned(personas, make_finding):
    finding = make_finding(occurred_at=at(2026, 3, 10))
    stale = type(finding).objects.get(pk=finding.pk)
    services.finding_overturn(finding=finding, by=personas.manager, reason="Agreed")
    with pytest.raises(ValidationError):
        services.finding_respond(finding=stale, by=personas.agent, response="Late reply")
    assert type(finding).objects.get(pk=finding.pk).response == ""


def test_the_inspector_opens_their_finding_about_someone_outside_their_team(client_for, personas, make_finding):
    # agent2 is on nobody's team: the supervisor inspected them from the department-wide sample
    finding = make_finding(occurred_at=at(2026, 3, 10), person=personas.agent2, inspector=personas.supervisor)
    assert client_for("supervisor").get(reverse("quality:finding_detail", args=[finding.pk])).status_code == 200


def test_the_recorder_opens_their_slip_after_the_person_left_their_team(client_for, personas, make_slip):
    slip = make_slip(person=personas.agent2)  # recorded by the supervisor; agent2 is not in their team
    assert client_for("supervisor").get(reverse("quality:slip_detail", args=[slip.pk])).status_code == 200
    assert client_for("agent").get(reverse("quality:slip_detail", args=[slip.pk])).status_code == 404


def test_an_unassigned_portal_complaint_is_sampled_with_nobody_to_blame(personas, customer_factory):
    from portal.services import portal_user
    from tickets.services import ticket_create

    ticket = ticket_create(customer=customer_factory(name="网上投诉"), kind="complaint", subject="没人理",
                           created_by=portal_user(), now=at(2026, 3, 10, 9))
    services.sample_create_daily(now=at(2026, 3, 11, 7))
    task = InspectionTask.objects.get(ticket=ticket)
    assert task.person_id is None and not portal_user().is_active
