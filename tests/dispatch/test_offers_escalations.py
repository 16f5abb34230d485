"""Offers must be answered; timeouts move the job on; escalations fire exactly once per level."""
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from dispatch import services, tasks
from dispatch.models import Escalation, Offer, WorkOrder
from tests.dispatch.dispatch_helpers import NOW
from servicedesk.models import Notification

pytestmark = pytest.mark.django_db


def test_accept_then_decline_refused(wo_factory, tech_factory):
    tech = tech_factory("liwei")
    wo = wo_factory()
    services.workorder_auto_dispatch(work_order=wo, now=NOW)
    offer = Offer.objects.get(work_order=wo)
    services.offer_accept(offer=offer, user=tech.user, now=NOW + timedelta(minutes=5))
    wo.refresh_from_db()
    assert wo.status == WorkOrder.Status.ACCEPTED and wo.accepted_at == NOW + timedelta(minutes=5)
    with pytest.raises(ValidationError):
        services.offer_decline(offer=offer, user=tech.user, reason="changed my mind", now=NOW)


def test_decline_needs_a_reason_and_only_the_offeree_answers(wo_factory, tech_factory):
    a = tech_factory("aaa")
    b = tech_factory("bbb", last_assigned_at=NOW)
    wo = wo_factory()
    services.workorder_auto_dispatch(work_order=wo, now=NOW)
    offer = Offer.objects.get(work_order=wo)
    assert offer.technician == a
    with pytest.raises(ValidationError):
        services.offer_decline(offer=offer, user=a.user, reason="  ", now=NOW)
    with pytest.raises(ValidationError):
        services.offer_accept(offer=offer, user=b.user, now=NOW)
    # when a declines with a reason, b gets the job
    services.offer_decline(offer=offer, user=a.user, reason="Out of town", now=NOW)
    offer.refresh_from_db()
    assert offer.answer == Offer.Answer.DECLINED and offer.decline_reason == "Out of town"
    assert Offer.objects.get(work_order=wo, answer=Offer.Answer.PENDING).technician == b


def test_accepting_after_expiry_is_refused(wo_factory, tech_factory):
    tech = tech_factory("liwei")
    wo = wo_factory()
    services.workorder_auto_dispatch(work_order=wo, now=NOW)
    with pytest.raises(ValidationError):
        services.offer_accept(offer=Offer.objects.get(work_order=wo), user=tech.user, now=NOW + timedelta(minutes=30))


def test_timeout_sweep_reoffers_then_supervisor_then_manager(wo_factory, tech_factory, personas):
    # given two eligible technicians and a supervisor and a manager to tell
    a, b = tech_factory("aaa"), tech_factory("bbb", last_assigned_at=NOW)
    supervisor, manager = personas.supervisor, personas.manager
    wo = wo_factory()
    services.workorder_auto_dispatch(work_order=wo, now=NOW)

    # when nobody answers, the Celery beat sweep runs every minute (eager here), the clock moving on
    with time_machine.travel(NOW + timedelta(minutes=29), tick=False):
        assert tasks.offers_expire_due.delay().get() == 0
    with time_machine.travel(NOW + timedelta(minutes=31), tick=False):
        assert tasks.offers_expire_due.delay().get() == 1
        assert tasks.offers_expire_due.delay().get() == 0  # exactly once
    # then b has it, and the supervisor was told once
    assert Offer.objects.get(work_order=wo, answer=Offer.Answer.PENDING).technician == b
    assert Escalation.objects.filter(work_order=wo, reason="not_accepted").values_list("level", flat=True).get() == 1
    assert Notification.objects.filter(recipient=supervisor, message__contains=wo.number).count() == 1

    # b lets it expire too → repeated: the manager; nobody left → the board
    with time_machine.travel(NOW + timedelta(minutes=62), tick=False):
        assert tasks.offers_expire_due.delay().get() == 1
    wo.refresh_from_db()
    assert wo.status == WorkOrder.Status.UNASSIGNED and wo.technician is None
    assert set(Escalation.objects.filter(work_order=wo).values_list("reason", "level")) == {
        ("not_accepted", 1), ("not_accepted", 2), ("no_technician", 1)}
    assert Notification.objects.filter(recipient=manager, message__contains=wo.number).count() == 1


def test_not_started_and_not_done_escalate_exactly_once(wo_factory, tech_factory, personas):
    # given an accepted job with the window at 11:00–13:00 and the resolution deadline 48 h after opening
    tech = tech_factory("liwei")
    wo = wo_factory()
    services.workorder_auto_dispatch(work_order=wo, now=NOW)
    services.offer_accept(offer=Offer.objects.get(work_order=wo), user=tech.user, now=NOW)
    wo.refresh_from_db()
    assert wo.next_check_at == wo.window_start
    supervisor = personas.supervisor

    # when the sweep runs after the window opened, twice
    for _ in range(2):
        with time_machine.travel(wo.window_start + timedelta(minutes=1), tick=False):
            tasks.escalations_check_due.delay()
    # then one escalation to the supervisor
    assert list(Escalation.objects.filter(work_order=wo).values_list("reason", "level")) == [("not_started", 1)]
    assert Notification.objects.filter(recipient=supervisor, message__contains="Not started").count() == 1

    # the technician arrives after the window closed: the manager level fired only if the sweep saw it
    services.workorder_arrive(work_order=wo, actor=tech.user, now=wo.window_start + timedelta(minutes=30))
    wo.refresh_from_db()
    assert wo.next_check_at == wo.resolution_due_at  # not_started is no longer pending
    # past the resolution deadline: the supervisor, then at 2× the manager — each once
    services.escalations_check_due(now=wo.resolution_due_at + timedelta(minutes=1))
    services.escalations_check_due(now=wo.resolution_due_at + timedelta(minutes=2))
    late = wo.resolution_due_at + (wo.resolution_due_at - wo.created_at) + timedelta(minutes=1)
    services.escalations_check_due(now=late)
    services.escalations_check_due(now=late)
    assert sorted(Escalation.objects.filter(work_order=wo, reason="not_done").values_list("level", flat=True)) == [1, 2]
    wo.refresh_from_db()
    assert wo.next_check_at is None


def test_escalation_unique_constraint_is_the_last_word(wo_factory):
    from django.db import IntegrityError, transaction

    wo = wo_factory()
    Escalation.objects.create(work_order=wo, reason="not_done", level=1, due_at=NOW, created_at=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        Escalation.objects.create(work_order=wo, reason="not_done", level=1, due_at=NOW, created_at=NOW)


def test_force_dispatch_past_caps_is_recorded(wo_factory, tech_factory, personas):
    tech = tech_factory("liwei")
    sup = personas.supervisor
    for _ in range(3):
        services.workorder_force_dispatch(work_order=wo_factory(), technician=tech, actor=sup,
                                          reason="Only one who knows the model", now=NOW)
    wo = WorkOrder.objects.filter(technician=tech).last()
    assert wo.forced and wo.status == WorkOrder.Status.ACCEPTED and wo.forced_reason
    decision = wo.decisions.get()
    assert decision.forced and set(decision.explanation["forced"]["over"]) == {"daily_cap", "open_cap"}
    # an agent may not force; a reason is required
    with pytest.raises(ValidationError):
        services.workorder_force_dispatch(work_order=wo_factory(), technician=tech, actor=personas.agent,
                                          reason="x", now=NOW)
    with pytest.raises(ValidationError):
        services.workorder_force_dispatch(work_order=wo_factory(), technician=tech, actor=sup, reason=" ", now=NOW)
