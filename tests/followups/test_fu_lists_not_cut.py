"""Nothing silently cut (issue 11 item 3): the queue's "Overdue" badge is the true count — the
dashboard panel's figure — and a section longer than the page says "Showing 50 of N" and links to a
paginated list of all of them."""
import pytest
import time_machine
from django.template.loader import render_to_string
from django.urls import reverse

from followups.models import Callback
from followups.selectors import overdue_callbacks_count
from tests.followups.fu_helpers import at

pytestmark = pytest.mark.django_db
NOW = at(2026, 11, 23, 10)


def _overdue(make_ticket, n):
    first = Callback.objects.get(ticket=make_ticket(resolve_at=at(2026, 11, 18, 15)))
    Callback.objects.bulk_create([
        Callback(customer=first.customer, ticket=first.ticket, owner=first.owner, reason=Callback.Reason.MANUAL,
                 status=Callback.Status.PENDING, due_at=at(2026, 11, 20, 9, i % 60), max_attempts=first.max_attempts,
                 created_at=at(2026, 11, 18, 15))
        for i in range(n - 1)
    ])


def test_overdue_badge_is_the_true_count_and_the_rest_is_one_click_away(make_ticket, client_for, personas, rf):
    _overdue(make_ticket, 53)
    client = client_for("supervisor")
    with time_machine.travel(NOW, tick=False):
        body = client.get(reverse("followups:callbacks")).content.decode()
        request = rf.get("/")
        request.user = personas.supervisor
        panel = render_to_string("followups/_overdue_panel.html", {"team": None}, request=request)
        page1 = client.get(reverse("followups:callbacks"), {"section": "overdue"})
        page2 = client.get(reverse("followups:callbacks"), {"section": "overdue", "page": 2})
        assert overdue_callbacks_count(now=NOW) == 53
    # the dashboard says 53, the queue's badge says 53 and says what it shows
    assert ">53<" in panel
    assert '<span class="badge text-bg-danger ms-auto">53</span>' in body
    assert "Showing 50 of 53" in body and "?section=overdue" in body
    # "see all": every one of them, 50 a page
    assert len(page1.context["page"].object_list) == 50 and len(page2.context["page"].object_list) == 3
    assert '<span class="badge text-bg-danger ms-auto">53</span>' in page1.content.decode()
    assert "Showing 50 of" not in page1.content.decode()


def test_short_sections_say_nothing_more(make_ticket, client_for):
    _overdue(make_ticket, 3)
    with time_machine.travel(NOW, tick=False):
        body = client_for("supervisor").get(reverse("followups:callbacks")).content.decode()
    assert '<span class="badge text-bg-danger ms-auto">3</span>' in body and "Showing" not in body
