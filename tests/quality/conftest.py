"""Fixtures for the quality area: a team the supervisor leads, slips and findings built through services."""
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

SH = ZoneInfo("Asia/Shanghai")


def at(y, mo, d, h=10, mi=0, s=0):
    """An aware moment in the department's zone."""
    return datetime(y, mo, d, h, mi, s, tzinfo=SH)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def team(personas):
    """The supervisor leads a team with the front desk and the agent; agent2 is on nobody's team."""
    from servicedesk.models import StaffProfile, Team

    team = Team.objects.create(name="前台组", name_en="Front desk team", supervisor=personas.supervisor)
    for user in (personas.frontdesk, personas.agent):
        StaffProfile.objects.update_or_create(user=user, defaults={"team": team})
    personas.agent2  # noqa: B018 — exists, outside the team
    return team


@pytest.fixture
def category():
    from quality.models import DemeritCategory

    return DemeritCategory.objects.get(name_en="Desk left unattended")


@pytest.fixture
def make_slip(personas, category):
    from quality.services import slip_record

    def _make(*, person=None, occurred_at=None, points=None, by=None, **kwargs):
        return slip_record(person=person or personas.frontdesk, category=kwargs.pop("category", category),
                           description="Left the desk for 20 minutes without cover",
                           occurred_at=occurred_at or at(2026, 3, 10), recorded_by=by or personas.supervisor,
                           points=points, now=kwargs.pop("now", at(2026, 4, 1, 12)), **kwargs)

    return _make


@pytest.fixture
def make_ticket(customer_factory, personas):
    """A ticket opened (and optionally resolved) through tickets.services."""
    from tickets.services import ticket_create, ticket_transition

    def _make(*, kind="repair", opened_at, resolve_at=None, assignee="agent", customer=None):
        customer = customer or customer_factory(name="Li Wei")
        ticket = ticket_create(customer=customer, kind=kind, subject="空调不制冷", created_by=personas.frontdesk,
                               assignee=personas.by_role(assignee) if assignee else None, now=opened_at)
        if resolve_at is not None:
            ticket = ticket_transition(ticket=ticket, to_status="resolved", actor=ticket.assignee or personas.agent,
                                       now=resolve_at)
        return ticket

    return _make


@pytest.fixture
def make_finding(personas, make_ticket):
    """A finding against `person` for a ticket resolved at `occurred_at`, through the inspection service."""
    from quality.models import ChecklistItem, DailySample, InspectionTask, SeverityLevel
    from quality.services import inspection_record

    counter = {"n": 0}

    def _make(*, occurred_at, person=None, level="medium", inspector=None):
        counter["n"] += 1
        person = person or personas.agent
        sample, _ = DailySample.objects.get_or_create(day=occurred_at.date(), defaults={"created_at": occurred_at})
        ticket = make_ticket(opened_at=occurred_at, resolve_at=occurred_at)
        task = InspectionTask.objects.create(sample=sample, kind="ticket", reason="random", ticket=ticket,
                                             person=person, occurred_at=occurred_at)
        item = ChecklistItem.objects.order_by("order").first()
        return inspection_record(task=task, inspector=inspector or personas.supervisor,
                                 results=[(item, SeverityLevel.objects.get(code=level), "Did not give the number")],
                                 now=occurred_at)[0]

    return _make


@pytest.fixture
def close_work_order(personas, customer_factory):
    """A repair ticket with one work order taken to closed through dispatch (the field steps in between
    are dispatch's to test: the order is put in "signed off" state directly)."""
    from customers.models import Region
    from dispatch import services as ds
    from dispatch.models import Skill, Technician, WorkOrder
    from tickets.services import ticket_create

    def _close(*, closed_at):
        region = Region.objects.get_or_create(code="chaoyang", defaults={"name": "Chaoyang"})[0]
        customer = customer_factory(name="王芳", address="朝阳区建国路 88 号", region=region)
        opened = closed_at.replace(hour=9, minute=0)
        ticket = ticket_create(customer=customer, kind="repair", subject="空调不制冷", created_by=personas.agent,
                               assignee=personas.agent, now=opened)
        skill = Skill.objects.get_or_create(code="aircon", defaults={"name": "Air conditioning"})[0]
        tech = Technician.objects.get_or_create(user=personas.technician)[0]
        wo = ds.workorder_create(ticket=ticket, created_by=personas.agent, skill=skill,
                                 estimated_value=Decimal("800"), window_start=opened, window_end=closed_at,
                                 now=opened)
        WorkOrder.objects.filter(pk=wo.pk).update(status="done", technician=tech, signed_at=closed_at,
                                                   signed_by_name="王芳", work_done="Refilled refrigerant")
        wo.refresh_from_db()
        ds.workorder_close(work_order=wo, actor=personas.supervisor, now=closed_at)
        ticket.refresh_from_db()
        return wo, ticket

    return _close
