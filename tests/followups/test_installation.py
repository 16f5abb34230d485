"""Issue 17 part 5: installation is a ticket kind with its own SLA, a work order like a repair, and a
satisfaction callback due a policy's number of working days (default 2) after the customer's sign-off."""
import pytest

from followups.models import Callback, FollowupPolicy
from sla.models import SLAPolicy
from sla.services import policy_match
from tickets.models import Ticket

from .fu_helpers import at

pytestmark = pytest.mark.django_db


def test_installation_callback_counts_from_the_sign_off_across_national_day(close_work_order, personas):
    # given an installation signed off on 2026-09-30 10:00, the work order closed an hour later
    wo, ticket = close_work_order(kind="installation", signed_at=at(2026, 9, 30, 10), closed_at=at(2026, 9, 30, 11))
    # then one installation callback: 16 working hours from the sign-off — 8 h on the 30th, Oct 1–7 off,
    # 8 h on the 8th, so due on the 9th at 10:00
    cb = Callback.objects.get(ticket=ticket)
    assert (cb.reason, cb.work_order, cb.technician) == (Callback.Reason.AFTER_INSTALLATION, wo, personas.technician)
    assert cb.due_at == at(2026, 10, 9, 10)
    assert ticket.status == Ticket.Status.RESOLVED


def test_installation_callback_counts_from_the_sign_off_not_the_closing(close_work_order):
    # signed off on Friday 15:00, closed in the office on Monday 10:00: due Tuesday 15:00, not Wednesday 10:00
    _wo, ticket = close_work_order(kind="installation", signed_at=at(2026, 11, 20, 15), closed_at=at(2026, 11, 23, 10))
    assert Callback.objects.get(ticket=ticket).due_at == at(2026, 11, 24, 15)


def test_installation_delay_is_the_policys_own(close_work_order):
    FollowupPolicy.objects.update_or_create(pk=1, defaults={"installation_delay_working_days": 3,
                                                             "repair_delay_working_days": 1})
    _wo, ticket = close_work_order(kind="installation", signed_at=at(2026, 11, 20, 15), closed_at=at(2026, 11, 20, 16))
    assert Callback.objects.get(ticket=ticket).due_at == at(2026, 11, 25, 15)


def test_a_repair_keeps_its_repair_callback(close_work_order):
    _wo, ticket = close_work_order(signed_at=at(2026, 11, 20, 15), closed_at=at(2026, 11, 23, 10))
    cb = Callback.objects.get(ticket=ticket)
    # a repair counts from the closing, as before
    assert (cb.reason, cb.due_at) == (Callback.Reason.AFTER_REPAIR, at(2026, 11, 25, 10))


def test_installation_has_its_own_sla_policy_and_number(make_ticket):
    policy = policy_match(policies=list(SLAPolicy.objects.all()), kind="installation", priority=2, tier="basic",
                          channel="phone")
    assert policy.name == "Installation"
    targets = {t.target: (t.hours, t.clock) for t in policy.targets.all()}
    assert targets == {"first_response": (24, "all_day"), "resolution": (40, "business")}
    ticket = make_ticket(kind="installation", opened_at=at(2026, 11, 16, 9))
    assert ticket.number.startswith("IN-2026-")
    resolution = ticket.sla_clocks.get(target="resolution")
    assert resolution.deadline == at(2026, 11, 20, 18)  # 5 working days from Monday 09:00


@pytest.mark.parametrize("kind, offered", [("installation", True), ("repair", True), ("inquiry", False)])
def test_the_ticket_panel_offers_a_work_order_for_on_site_kinds(make_ticket, client_for, kind, offered):
    from django.urls import reverse

    ticket = make_ticket(kind=kind)
    page = client_for("agent").get(reverse("dispatch:ticket_panel", args=[ticket.pk]))
    assert page.status_code == 200
    assert (reverse("dispatch:workorder_create", args=[ticket.pk]) in page.content.decode()) is offered
