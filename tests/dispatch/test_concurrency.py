"""Caps and stock hold when several dispatchers act at the same moment (PostgreSQL row locks)."""
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from dispatch import services
from dispatch.models import Offer, PartUsage, StockLevel, WorkOrder
from tests.concurrency import run_at_once
from tests.dispatch.dispatch_helpers import NOW, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_six_dispatchers_never_push_a_technician_past_the_daily_cap(wo_factory, tech_factory):
    # given one technician and six waiting jobs (caps: 2/day)
    tech = tech_factory("liwei")
    orders = [wo_factory() for _ in range(6)]

    # when six dispatchers auto-dispatch at the same moment
    def dispatch(i):
        return services.workorder_auto_dispatch(work_order=orders[i], now=NOW)

    results, errors = run_at_once(6, dispatch)

    # then exactly two jobs reached the technician; the others wait on the board, explained
    assert errors == []
    assert Offer.objects.filter(technician=tech).count() == 2
    assert WorkOrder.objects.filter(technician=tech, status=WorkOrder.Status.OFFERED).count() == 2
    assert WorkOrder.objects.filter(status=WorkOrder.Status.UNASSIGNED).count() == 4
    losers = [d for d in results if d.chosen is None]
    assert len(losers) == 4
    for d in losers:
        reasons = d.explanation["excluded"][0]["reasons"]
        assert "daily_cap" in reasons or "open_cap" in reasons


def test_concurrent_part_use_never_makes_stock_negative(wo_factory, tech_factory, part):
    # given 3 capacitors in stock and 5 technicians on 5 jobs in progress
    techs = [tech_factory(f"t{i}") for i in range(5)]
    boss = make_user("boss", "supervisor")
    orders = []
    for tech in techs:
        wo = wo_factory()
        services.workorder_force_dispatch(work_order=wo, technician=tech, actor=boss, reason="setup", now=NOW)
        services.workorder_arrive(work_order=wo, actor=tech.user, now=NOW)
        services.workorder_start(work_order=wo, actor=tech.user, now=NOW)
        orders.append((wo, tech))

    # when all five take one at the same moment
    def take(i):
        wo, tech = orders[i]
        return services.part_use(work_order=wo, part=part, quantity=1, actor=tech.user, now=NOW)

    results, errors = run_at_once(5, take)

    # then three succeed, two are refused, and stock is exactly zero
    assert len(results) == 3
    assert len(errors) == 2 and all(isinstance(e, ValidationError) for e in errors)
    assert StockLevel.objects.get(part=part).quantity == 0
    assert PartUsage.objects.count() == 3


def test_database_refuses_negative_stock_even_past_the_service(part):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(part=part).update(quantity=-1)
    assert Decimal(StockLevel.objects.get(part=part).quantity) == 3


def test_concurrent_accept_and_expiry_sweep_settle_once(wo_factory, tech_factory):
    from datetime import timedelta

    # given an offer on its last second
    tech = tech_factory("liwei")
    wo = wo_factory()
    services.workorder_auto_dispatch(work_order=wo, now=NOW)
    offer = Offer.objects.get(work_order=wo)
    late = NOW + timedelta(minutes=30)

    # when two sweeps run at the same moment
    results, errors = run_at_once(2, lambda i: services.offers_expire_due(now=late))

    # then the offer expired exactly once
    assert errors == []
    assert sorted(results) == [0, 1]
    offer.refresh_from_db()
    assert offer.answer == Offer.Answer.EXPIRED
