"""Pages of lost and invalid leads: access per role, the record form, the queue and the analysis at fixed
query counts."""
from datetime import timedelta

import pytest

from leads import services
from leads.models import LeadOutcome
from tickets.models import Ticket

from .conftest import T0

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("role", "url", "status"), [
    (None, "/leads/", 302), ("outsider", "/leads/", 403), ("technician", "/leads/", 403),
    ("agent", "/leads/", 200), ("frontdesk", "/leads/", 200), ("supervisor", "/leads/", 200),
    ("agent", "/leads/confirm/", 403), ("supervisor", "/leads/confirm/", 200), ("manager", "/leads/confirm/", 200),
    ("agent", "/leads/analysis/", 403), ("frontdesk", "/leads/analysis/", 403),
    ("supervisor", "/leads/analysis/", 200), ("manager", "/leads/analysis/", 200),
])
def test_access_per_role(client_for, personas, team, role, url, status):
    assert client_for(role).get(url).status_code == status


def test_agent_records_from_the_picker_and_supervisor_confirms(client_for, personas, make_ticket):
    ticket = make_ticket(product="Heater")
    other = make_ticket(assignee=personas.agent2)
    # the agent's picker lists their own request with a link to the form; not agent2's
    page = client_for("agent").get("/leads/")
    assert f"/leads/record/{ticket.pk}/".encode() in page.content
    assert f"/leads/record/{other.pk}/".encode() not in page.content
    assert client_for("agent").get(f"/leads/record/{other.pk}/").status_code == 404
    # bad input goes back to the form, escaped, in both languages
    client = client_for("agent")
    r = client.post(f"/leads/record/{ticket.pk}/", {"outcome": "invalid", "reason": "price", "customer_words": ""})
    assert r.status_code == 200 and not LeadOutcome.objects.exists()
    r = client.post(f"/leads/record/{ticket.pk}/", {"outcome": "lost", "reason": "price",
                                                    "customer_words": "<script>x</script>"})
    assert r.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CANCELLED
    outcome = LeadOutcome.objects.get()
    # the supervisor sees it in the queue (escaped) and confirms
    sup = client_for("supervisor")
    page = sup.get("/leads/confirm/")
    assert b"&lt;script&gt;x&lt;/script&gt;" in page.content and b"<script>x</script>" not in page.content
    assert sup.post(f"/leads/outcomes/{outcome.pk}/confirm/").status_code == 302
    outcome.refresh_from_db()
    assert outcome.state == LeadOutcome.State.CONFIRMED
    # the agent cannot confirm; a supervisor of their own (recorded) cannot; it is not in another's queue
    assert client_for("agent").post(f"/leads/outcomes/{outcome.pk}/confirm/").status_code == 403


def test_send_back_page(client_for, personas, make_ticket):
    outcome = services.lead_record(ticket=make_ticket(), by=personas.agent, outcome="lost", reason="service",
                                   customer_words="没人上门", now=T0)
    sup = client_for("supervisor")
    assert sup.post(f"/leads/outcomes/{outcome.pk}/send-back/", {"reason": ""}).status_code == 200
    assert sup.post(f"/leads/outcomes/{outcome.pk}/send-back/", {"reason": "Ask again"}).status_code == 302
    agent = client_for("agent")
    assert b"Ask again" in agent.get("/leads/").content
    r = agent.post(f"/leads/outcomes/{outcome.pk}/correct/", {"reason": "technical", "customer_words": "修不好"})
    assert r.status_code == 302
    outcome.refresh_from_db()
    assert outcome.state == LeadOutcome.State.PENDING and outcome.reason == "technical"
    assert client_for("agent2").get(f"/leads/outcomes/{outcome.pk}/correct/").status_code == 404


def _many(personas, make_ticket, n):
    for i in range(n):
        o = services.lead_record(ticket=make_ticket(product=f"P{i % 3}"), by=personas.agent, outcome="lost",
                                 reason=["price", "service", "competitor"][i % 3], customer_words="no",
                                 now=T0 + timedelta(days=i * 20))
        if i % 2 == 0:
            services.lead_confirm(outcome=o, by=personas.supervisor, now=T0 + timedelta(days=i * 20, hours=1))
    for i in range(n):
        make_ticket()


@pytest.mark.parametrize("n", [1, 12])
def test_pages_keep_fixed_query_counts(client_for, personas, make_ticket, n, django_assert_max_num_queries):
    _many(personas, make_ticket, n)
    sup = client_for("supervisor")
    for url in ("/leads/", "/leads/?all=1", "/leads/confirm/", "/leads/analysis/",
                "/leads/analysis/?start=2026-01&end=2027-12&outcome=lost&reason=price&product=P"):
        sup.get(url)
        with django_assert_max_num_queries(14):
            assert sup.get(url).status_code == 200, url


def test_analysis_counts_confirmed_only_and_exports(client_for, personas, make_ticket):
    _many(personas, make_ticket, 3)  # 2 confirmed, 1 pending
    sup = client_for("supervisor")
    r = sup.get("/leads/analysis/?fmt=csv")
    text = b"".join(r.streaming_content).decode("utf-8-sig")
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    month_rows = [line for line in text.splitlines() if line.startswith("Month,")]
    assert sum(int(line.rsplit(",", 1)[1]) for line in month_rows) == 2
    assert sup.get("/leads/analysis/?start=bad&end=2026-01").status_code == 200
    assert sup.get("/leads/analysis/?fmt=xlsx").status_code == 200


def test_out_of_range_months_are_refused_not_a_500(client_for, personas):
    sup = client_for("supervisor")
    for q in ("start=0001-01&end=0001-02", "start=9999-12&end=9999-12", "staff=99999999999999999999999"):
        assert sup.get(f"/leads/analysis/?{q}").status_code == 200
