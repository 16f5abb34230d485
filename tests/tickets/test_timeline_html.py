"""The ticket page's timeline, rendered in Python (tickets_tags.timeline_items): each kind of entry shows
what the template loop it replaced showed, with every value escaped."""
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.urls import reverse
from django.utils import timezone

from tickets.models import TicketEvent, TicketReply
from tickets.services import ticket_create

pytestmark = pytest.mark.django_db


def _entries(html: str) -> str:
    start = html.index('id="timeline">')
    return html[start:html.index("</ul>", start)]


def test_each_kind_of_entry_is_shown_and_escaped(client_for, customer_factory, personas):
    # given a ticket whose customer's name and whose replies carry markup
    customer = customer_factory(name="Wang <b>Fang</b>", email="c@example.com")
    ticket = ticket_create(customer=customer, kind="repair", subject="Leak", created_by=personas.frontdesk)
    at = timezone.now() - timedelta(hours=2)
    R = TicketReply.Delivery
    rows = [
        dict(author=personas.agent, body="<script>alert(1)</script>", public=True, delivery_status=R.SENT,
             delivery_channel="sms"),
        dict(author=personas.agent, body="By mail", public=True, delivery_status=R.FAILED, delivery_channel="email",
             last_error='refused "<x>"'),
        dict(author=personas.agent, body="Just between us", public=False, delivery_status=R.INTERNAL),
        dict(author=personas.agent, body="Thanks, fixed", public=True, from_customer=True,
             delivery_status=R.RECEIVED),
    ]
    for i, row in enumerate(rows):
        TicketReply.objects.create(ticket=ticket, created_at=at + timedelta(minutes=i), **row)
    TicketEvent.objects.create(ticket=ticket, actor=None, kind="priority", field="priority", before=2, after=1,
                               message="<i>breach</i>", created_at=at + timedelta(minutes=10))
    TicketEvent.objects.create(ticket=ticket, actor=None, kind="customer_confirmed", created_at=at + timedelta(minutes=11))
    # when the agent opens the ticket
    html = _entries(client_for("supervisor").get(reverse("tickets:detail", args=[ticket.pk])).content.decode())
    # then every reply shows with its badge, delivery and channel, markup escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert 'class="ms-auto badge text-bg-success" title="" data-delivery="sent"><i class="bi bi-phone"></i> SMS · Sent' in html
    assert ('class="ms-auto badge text-bg-danger" title="refused &quot;&lt;x&gt;&quot;" data-delivery="failed">'
            '<i class="bi bi-envelope"></i> E-mail · Failed, will retry') in html
    assert 'border-warning-subtle bg-warning-subtle' in html and "Internal note" in html
    assert html.count('data-delivery="') == 2  # internal notes and the customer's own words have none
    assert '<strong>Wang &lt;b&gt;Fang&lt;/b&gt;</strong> <span class="badge text-bg-info">From the customer' in html
    # and events name the system or the customer, with their change and message
    assert "<strong>System</strong> changed the priority" in html and "Normal → High" in html
    assert "“&lt;i&gt;breach&lt;/i&gt;”" in html
    assert "<strong>Customer Wang &lt;b&gt;Fang&lt;/b&gt;</strong> confirmed it is fixed" in html


def test_times_are_local(client_for, customer_factory, personas):
    ticket = ticket_create(customer=customer_factory(), kind="repair", subject="Leak", created_by=personas.frontdesk)
    utc = datetime(2026, 3, 1, 23, 30, tzinfo=dt_timezone.utc)
    TicketReply.objects.create(ticket=ticket, author=personas.agent, body="late", public=False, created_at=utc)
    html = _entries(client_for("supervisor").get(reverse("tickets:detail", args=[ticket.pk])).content.decode())
    assert "2026-03-02 07:30" in html  # Asia/Shanghai
