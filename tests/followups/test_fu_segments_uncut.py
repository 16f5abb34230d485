"""Review finding "lists never cut silently": the satisfaction page's breakdown shows every segment
(it was cut at 50 with no sign). Staff performance is read from it, and the rows a cut drops are the
ones with the fewest answers."""
import secrets
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Region
from followups import services
from followups.models import SurveyInvitation, SurveyResponse

from .fu_helpers import at

pytestmark = pytest.mark.django_db
NOW = at(2026, 11, 20)


def regions_with_answers(customer, count: int, *, first: int = 0) -> list[Region]:
    """`count` regions; region i gets (count - i) answers, so the last one has the fewest."""
    regions = []
    for i in range(first, first + count):
        region = Region.objects.create(name=f"区{i:03d}", name_en=f"District {i:03d}", code=f"d{i:03d}")
        regions.append(region)
        for _n in range(first + count - i):
            when = at(2026, 11, 5)
            inv = SurveyInvitation.objects.create(customer=customer, nonce=secrets.token_hex(16), created_at=when,
                                                  expires_at=when + timedelta(days=14), used_at=when)
            SurveyResponse.objects.create(invitation=inv, customer=customer, overall=5, recommend=9, reliability=4, responsiveness=4,
                                          assurance=4, empathy=4, tangibles=4, submitted_at=when,
                                          month=when.date().replace(day=1), tier="basic", region=region,
                                          ticket_kind="repair", channel="phone")
    services.satisfaction_rollup_rebuild()
    return regions


def segment_rows(page: str) -> list[str]:
    table = page.split('id="segment-table"', 1)[1].split("</table>", 1)[0]
    return [line for line in table.split("<tr>")[2:]]


@pytest.mark.parametrize("query", ["segment=region", "segment=region&tier=basic"], ids=["rollup", "answers"])
def test_every_segment_is_shown_with_a_fixed_number_of_queries(client_for, customer_factory, query):
    # given: 3 regions, then 55 (more than the old cut of 50)
    customer = customer_factory()
    client = client_for("supervisor")
    regions_with_answers(customer, 3)
    with time_machine.travel(NOW, tick=False):
        client.get(f"/followups/satisfaction/?{query}")  # first request of the session: its own lookups
        with CaptureQueriesContext(connection) as few:
            client.get(f"/followups/satisfaction/?{query}")
        regions = regions_with_answers(customer, 52, first=3)
        # when
        with CaptureQueriesContext(connection) as many:
            page = client.get(f"/followups/satisfaction/?{query}").content.decode()
    # then: all 55 rows, the one with a single answer included, and no query per row
    rows = segment_rows(page)
    assert len(rows) == 55
    # the rows a cut used to drop: the fewest answers (one each: District 002 and District 054), last
    assert all('<td class="text-end">1</td>' in row for row in rows[-2:]) and regions[-1].name_en == "District 054"
    assert all(f"District {i:03d}" in page for i in range(55))
    assert len(many) == len(few)
