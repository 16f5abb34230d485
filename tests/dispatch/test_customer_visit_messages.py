"""The customer hears who comes and when (issue 15 item 4): on booking, and the evening before."""
from datetime import datetime, timedelta

import pytest

from dispatch import services
from dispatch.models import Offer
from portal.services import visit_reminders_send
from servicedesk.models import OutboxMessage
from tests.dispatch.dispatch_helpers import NOW, TZ
from tickets.models import TicketEvent

pytestmark = pytest.mark.django_db


def _rows(ticket, event):
    ids = [e.after["message"] for e in TicketEvent.objects.filter(ticket=ticket, kind="message_to_customer",
                                                                  after__event=event)]
    return list(OutboxMessage.objects.filter(pk__in=ids))


def _booked(wo_factory, tech_factory, start):
    tech = tech_factory("zhangwei")
    tech.user.last_name = "张"
    tech.user.save(update_fields=["last_name"])
    wo = wo_factory(start=start)
    services.workorder_auto_dispatch(work_order=wo, now=NOW)
    services.offer_accept(offer=Offer.objects.get(work_order=wo), user=tech.user, now=NOW + timedelta(minutes=5))
    return wo


def test_accepting_the_job_tells_the_customer_the_technicians_surname_and_window(wo_factory, tech_factory):
    start = datetime(2026, 3, 3, 9, 0, tzinfo=TZ)
    wo = _booked(wo_factory, tech_factory, start)
    [msg] = _rows(wo.ticket, "visit_booked")
    assert "张师傅" in msg.body and "3月3日 09:00–11:00" in msg.body and "zhangwei" not in msg.body


def test_evening_reminder_is_sent_once_and_only_for_tomorrow(wo_factory, tech_factory, customer_factory):
    tomorrow = _booked(wo_factory, tech_factory, datetime(2026, 3, 3, 14, 0, tzinfo=TZ))
    assert visit_reminders_send(now=datetime(2026, 3, 2, 17, 0, tzinfo=TZ)) == 0  # before 18:00: nothing
    assert visit_reminders_send(now=datetime(2026, 3, 2, 18, 0, tzinfo=TZ)) == 1
    assert visit_reminders_send(now=datetime(2026, 3, 2, 19, 0, tzinfo=TZ)) == 0  # the next tick: once only
    [msg] = _rows(tomorrow.ticket, "visit_reminder")
    assert "明天" in msg.body and "14:00" in msg.body
    # The day after tomorrow's visits wait for their own evening.
    assert visit_reminders_send(now=datetime(2026, 3, 3, 18, 0, tzinfo=TZ)) == 0
