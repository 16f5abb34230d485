"""Every list endpoint answers 1 row and 50 rows with the same number of queries; ticket lists never COUNT."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.factories import make_workorder
from tickets.services import ticket_reply

pytestmark = pytest.mark.django_db


def _measure(api, path):
    api.get(path)  # warm: the token's last_used_at is written at most once a minute
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(path)
    assert response.status_code == 200, response.content
    return response.json(), [q["sql"] for q in ctx.captured_queries]


class Rows:
    """Grows the data to n rows of each kind: customers (with a phone starting 13800), their tickets
    (assigned), public replies and work orders on the first ticket."""

    def __init__(self, customer_factory, ticket_factory, personas):
        from customers.models import Region

        self.customer_factory, self.ticket_factory, self.personas = customer_factory, ticket_factory, personas
        self.region = Region.objects.create(name="朝阳", code="cy")
        self.tickets = []

    def grow_to(self, n):
        while len(self.tickets) < n:
            i = len(self.tickets)
            customer = self.customer_factory(name=f"C{i}", phone=f"1380000{i:04d}", region=self.region,
                                             address="建国路 88 号")
            self.tickets.append(self.ticket_factory(customer=customer, assignee=self.personas.agent))
            first = self.tickets[0]
            ticket_reply(ticket=first, author=self.personas.agent, body=f"Reply {i}", public=True)
            make_workorder(ticket=first, created_by=self.personas.agent)


PATHS = {
    "customers": lambda r: "/api/v1/customers/?page_size=50",
    "phone_lookup": lambda r: "/api/v1/customers/?phone=13800",
    "tickets": lambda r: "/api/v1/tickets/?page_size=50",
    "tickets_filtered": lambda r: f"/api/v1/tickets/?page_size=50&status=new&kind=repair&assignee={r.tickets[0].assignee_id}",
    "ticket_detail_replies": lambda r: f"/api/v1/tickets/{r.tickets[0].pk}/",
    "workorders_of_ticket": lambda r: f"/api/v1/workorders/?ticket={r.tickets[0].pk}&page_size=50",
}


@pytest.mark.parametrize("name", list(PATHS))
def test_same_number_of_queries_for_1_and_50_rows(name, api, customer_factory, ticket_factory, personas):
    rows = Rows(customer_factory, ticket_factory, personas)
    counts = {}
    for n in (1, 50):
        # given n rows
        rows.grow_to(n)
        # when
        body, sql = _measure(api, PATHS[name](rows))
        # then every row is there (the phone lookup shows 20 and says there are more)
        shown = body["replies"] if "replies" in body else body["results"]
        assert len(shown) == (min(n, 20) if name == "phone_lookup" else n), (name, n, len(shown))
        if name.startswith("tickets"):
            assert not any("COUNT(" in q.upper() for q in sql), sql  # cursor pages: no COUNT(*) of tickets
        counts[n] = sql
    assert len(counts[1]) == len(counts[50]), (counts[1], counts[50])
    assert len(counts[50]) <= 6, counts[50]  # token, page (+ prefetch), the call log's INSERT
