"""The monthly report's closures per first-inquiry owner (issue 17, 首问责任制)."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from reports import selectors
from reports.periods import period_containing
from tickets import services

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def test_closures_count_for_the_first_inquiry_owner_whoever_closed(customer_factory, personas,
                                                                    django_assert_max_num_queries):
    def closed(owner, closer, day):
        t = services.ticket_create(customer=customer_factory(), kind="inquiry", subject="x", created_by=owner,
                                   assignee=closer, now=datetime(2026, 11, day, 9, tzinfo=TZ))
        services.ticket_resolve(ticket=t, actor=closer, solution="ok", now=datetime(2026, 11, day, 10, tzinfo=TZ))
        services.ticket_transition(ticket=t, to_status="closed", actor=closer,
                                   now=datetime(2026, 11, day, 11, tzinfo=TZ))

    closed(personas.frontdesk, personas.agent, 3)
    closed(personas.frontdesk, personas.agent2, 4)
    closed(personas.agent, personas.agent, 5)
    services.ticket_create(customer=customer_factory(), kind="inquiry", subject="open", created_by=personas.agent2)
    period = period_containing("month", date(2026, 11, 1))
    with django_assert_max_num_queries(1):
        section = selectors.first_inquiry_section(period=period)
    assert section["tables"]["first_inquiry_closures"]["rows"] == [["Frontdesk", 2], ["Agent", 1]]
    assert section["figures"]["closed"]["value"] == 3


def test_report_page_shows_the_section(client_for):
    body = client_for("manager").get("/reports/", {"period": "month", "date": "2026-11-01"}).content.decode()
    assert 'id="sec-first-inquiry"' in body
