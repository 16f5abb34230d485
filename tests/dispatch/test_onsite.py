"""On site: quote before work, parts from stock, photos, sign-off, closing and the ticket."""
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from dispatch import images, services, signals
from dispatch.models import Offer, PartUsage, StockLevel, WorkOrder, WorkOrderPhoto
from tests.dispatch.dispatch_helpers import BLANK_SIGNATURE, NOW, SIGNATURE, fault_cause, work_to_signed

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted(wo_factory, tech_factory):
    def _make(**kw):
        tech = tech_factory(f"t{WorkOrder.objects.count()}")
        wo = wo_factory(**kw)
        services.workorder_auto_dispatch(work_order=wo, now=NOW)
        services.offer_accept(offer=Offer.objects.get(work_order=wo), user=tech.user, now=NOW)
        wo.refresh_from_db()
        return wo, tech

    return _make


def test_work_order_takes_address_region_and_warranty(wo_factory):
    wo = wo_factory(in_warranty=False)
    assert wo.number == "WO-2026-000001"
    assert wo.address == "朝阳区建国路 88 号" and wo.region.code == "chaoyang"
    assert wo.in_warranty is False and wo.needs_quote
    assert wo_factory().number == "WO-2026-000002" and wo_factory().in_warranty


def test_only_repair_tickets_get_work_orders(customer_factory, personas, skill, region):
    from tickets.services import ticket_create

    ticket = ticket_create(customer=customer_factory(region=region, address="x"), kind="inquiry", subject="?",
                           created_by=personas.agent, now=NOW)
    with pytest.raises(ValidationError):
        services.workorder_create(ticket=ticket, created_by=personas.agent, skill=skill, estimated_value=Decimal(1),
                                  window_start=NOW, window_end=NOW, now=NOW)


def test_out_of_warranty_quote_must_be_signed_before_work(accepted):
    wo, tech = accepted(in_warranty=False)
    services.workorder_arrive(work_order=wo, actor=tech.user, now=NOW)
    with pytest.raises(ValidationError) as exc:
        services.workorder_start(work_order=wo, actor=tech.user, now=NOW)
    assert exc.value.code == "quote_required"
    services.quote_set(work_order=wo, amount=Decimal("380.00"), description="Capacitor + labour", actor=tech.user, now=NOW)
    with pytest.raises(ValidationError):  # a quote not yet signed is not enough
        services.workorder_start(work_order=wo, actor=tech.user, now=NOW)
    with pytest.raises(ValidationError):
        services.quote_accept(work_order=wo, name="王芳", signature_data_url=BLANK_SIGNATURE, actor=tech.user, now=NOW)
    quote = services.quote_accept(work_order=wo, name="王芳", signature_data_url=SIGNATURE, actor=tech.user, now=NOW)
    assert quote.signature.read().startswith(images.PNG_MAGIC)
    services.workorder_start(work_order=wo, actor=tech.user, now=NOW)
    wo.refresh_from_db()
    assert wo.status == WorkOrder.Status.IN_PROGRESS and wo.charge_amount == Decimal("380.00")


def test_in_warranty_needs_no_quote(accepted):
    wo, tech = accepted()
    services.workorder_arrive(work_order=wo, actor=tech.user, now=NOW)
    with pytest.raises(ValidationError):
        services.quote_set(work_order=wo, amount=Decimal(1), description="x", actor=tech.user, now=NOW)
    assert services.workorder_start(work_order=wo, actor=tech.user, now=NOW).status == WorkOrder.Status.IN_PROGRESS


def test_parts_decrease_stock_and_never_go_negative(accepted, part, personas):
    wo, tech = accepted()
    services.workorder_arrive(work_order=wo, actor=tech.user, now=NOW)
    services.workorder_start(work_order=wo, actor=tech.user, now=NOW)
    services.part_use(work_order=wo, part=part, quantity=2, actor=tech.user, faulty_returned=True,
                      faulty_note="burnt", now=NOW)
    assert StockLevel.objects.get(part=part).quantity == 1
    # the technician cannot take more than is on hand, not even with a reason
    with pytest.raises(ValidationError) as exc:
        services.part_use(work_order=wo, part=part, quantity=2, actor=tech.user, now=NOW)
    assert exc.value.code == "out_of_stock"
    with pytest.raises(ValidationError) as exc:
        services.part_use(work_order=wo, part=part, quantity=2, actor=tech.user, override_reason="urgent", now=NOW)
    assert exc.value.code == "override_forbidden"
    assert StockLevel.objects.get(part=part).quantity == 1
    # a supervisor's recorded override: stock to zero, the shortfall recorded
    usage = services.part_use(work_order=wo, part=part, quantity=2, actor=personas.supervisor,
                              override_reason="Bought locally", now=NOW)
    assert (usage.shortfall, usage.override_by) == (1, personas.supervisor)
    assert StockLevel.objects.get(part=part).quantity == 0
    assert PartUsage.objects.filter(work_order=wo, faulty_returned=True).count() == 1


def test_sign_off_required_to_close_and_closing_resolves_the_ticket(accepted):
    wo, tech = accepted()
    received = []
    signals.workorder_closed.connect(lambda sender, work_order, now, **kw: received.append(work_order.pk),
                                     weak=False, dispatch_uid="test-close")
    try:
        with pytest.raises(ValidationError) as exc:
            services.workorder_close(work_order=wo, actor=tech.user, now=NOW)
        assert exc.value.code == "signoff_required"
        services.workorder_arrive(work_order=wo, actor=tech.user, now=NOW)
        services.workorder_start(work_order=wo, actor=tech.user, now=NOW)
        with pytest.raises(ValidationError):  # work must be recorded before signing
            services.workorder_sign_off(work_order=wo, actor=tech.user, name="王芳", signature_data_url=SIGNATURE, now=NOW)
        with pytest.raises(ValidationError):
            services.workorder_close(work_order=wo, actor=tech.user, now=NOW)
        services.workorder_record_work(work_order=wo, actor=tech.user, work_done="Replaced capacitor",
                                       fault_cause=fault_cause(), now=NOW)
        with pytest.raises(ValidationError):
            services.workorder_sign_off(work_order=wo, actor=tech.user, name="", signature_data_url=SIGNATURE, now=NOW)
        services.workorder_sign_off(work_order=wo, actor=tech.user, name="王芳", signature_data_url=SIGNATURE, now=NOW)
        services.workorder_close(work_order=wo, actor=tech.user, now=NOW)
    finally:
        signals.workorder_closed.disconnect(dispatch_uid="test-close")
    wo.refresh_from_db()
    assert wo.status == WorkOrder.Status.CLOSED and wo.signed_by_name == "王芳" and wo.signed_at == NOW
    assert received == [wo.pk]
    wo.ticket.refresh_from_db()
    assert wo.ticket.status == "resolved"
    assert wo.ticket.fault_cause == fault_cause() and "Replaced capacitor" in wo.ticket.solution


def test_ticket_resolves_only_when_all_its_work_orders_are_finished(wo_factory, tech_factory, ticket_factory,
                                                                   dsettings):
    dsettings.daily_cap = dsettings.open_cap_off_season = 5
    dsettings.save()
    tech = tech_factory("liwei")
    ticket = ticket_factory()
    first, second = wo_factory(ticket=ticket), wo_factory(ticket=ticket)
    for wo in (first, second):
        services.workorder_auto_dispatch(work_order=wo, now=NOW)
        services.offer_accept(offer=Offer.objects.get(work_order=wo), user=tech.user, now=NOW)
    work_to_signed(first, tech.user, NOW)
    services.workorder_close(work_order=first, actor=tech.user, now=NOW)
    ticket.refresh_from_db()
    assert ticket.status != "resolved"
    work_to_signed(second, tech.user, NOW)
    services.workorder_close(work_order=second, actor=tech.user, now=NOW)
    ticket.refresh_from_db()
    assert ticket.status == "resolved"


def test_another_technician_cannot_act(accepted, tech_factory):
    wo, tech = accepted()
    other = tech_factory("other")
    with pytest.raises(ValidationError):
        services.workorder_arrive(work_order=wo, actor=other.user, now=NOW)


def test_photos_checked_for_size_and_type(accepted):
    wo, tech = accepted()
    services.workorder_arrive(work_order=wo, actor=tech.user, now=NOW)
    jpeg = SimpleUploadedFile("site.jpg", b"\xff\xd8\xff\xe0" + b"0" * 100 + b"\xff\xd9", content_type="image/jpeg")
    services.photo_add(work_order=wo, upload=jpeg, actor=tech.user, now=NOW)
    assert WorkOrderPhoto.objects.filter(work_order=wo).count() == 1
    fake = SimpleUploadedFile("site.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
    with pytest.raises(ValidationError):
        services.photo_add(work_order=wo, upload=fake, actor=tech.user, now=NOW)
    big = SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * (5 * 1024 * 1024 + 1), content_type="image/png")
    with pytest.raises(ValidationError) as exc:
        services.photo_add(work_order=wo, upload=big, actor=tech.user, now=NOW)
    assert exc.value.code == "photo_too_large"


@pytest.mark.parametrize("value, code", [
    ("", "signature_missing"),
    ("data:image/jpeg;base64,AAAA", "signature_missing"),
    ("data:image/png;base64,not-base64!", "signature_invalid"),
    ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==", "signature_invalid"),
    (BLANK_SIGNATURE, "signature_blank"),
])
def test_signature_validation(value, code):
    with pytest.raises(ValidationError) as exc:
        images.signature_from_data_url(value)
    assert exc.value.code == code


def test_resolution_deadline_comes_from_the_sla_when_it_has_one(wo_factory):
    from sla.selectors import ticket_deadlines

    wo = wo_factory()
    deadlines = ticket_deadlines(wo.ticket)
    assert "resolution" in deadlines  # the SLA area's default policy gives repairs a resolution target
    assert wo.resolution_due_at == deadlines["resolution"]
