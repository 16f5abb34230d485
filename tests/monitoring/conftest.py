"""Builders for monitoring tests. Rows that need historical timestamps (tickets, clocks, callbacks,
surveys, complaints) are written with the ORM, as the reports tests do; every expected figure is
counted by hand from the test that builds it. The clock is pinned with time_machine."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

SH = ZoneInfo("Asia/Shanghai")
# Wednesday 18 November 2026, 15:00 in Shanghai (07:00 UTC).
NOW = datetime(2026, 11, 18, 15, 0, tzinfo=SH)


def L(m, d, h=0, mi=0, y=2026):
    """A local (Asia/Shanghai) moment."""
    return datetime(y, m, d, h, mi, tzinfo=SH)


class Builder:
    def __init__(self, customer_factory):
        self._customer_factory = customer_factory
        self.seq = 0
        self._customer = None

    @property
    def customer(self):
        if self._customer is None:
            self._customer = self._customer_factory(name="Wang Wei")
        return self._customer

    def new_customer(self, name="Li Na"):
        return self._customer_factory(name=name)

    def contact(self, by, start, minutes=None, ticket=None, customer=None, direction="in"):
        from customers.models import Contact

        return Contact.objects.create(handled_by=by, started_at=start, customer=customer or self.customer,
                                      ended_at=start + timedelta(minutes=minutes) if minutes is not None else None,
                                      ticket=ticket, direction=direction)

    def ticket(self, owner=None, created=None, status="in_progress", resolved=None, reopened=None, customer=None,
               kind="repair", team=None):
        from tickets.models import Ticket

        self.seq += 1
        created = created or NOW - timedelta(hours=1)
        t = Ticket.objects.create(number=f"T-{self.seq:04d}", kind=kind, status=status,
                                  customer=customer or self.customer, subject=f"Ticket {self.seq}",
                                  created_by=owner or self._any_user(), assignee=owner, resolved_at=resolved,
                                  reopened_at=reopened, team=team)
        Ticket.objects.filter(pk=t.pk).update(created_at=created)
        t.refresh_from_db()
        return t

    def _any_user(self):
        from django.contrib.auth import get_user_model

        return get_user_model().objects.order_by("pk").first()

    def clock(self, ticket, deadline, *, target="first_response", stopped=None, met=None, warning=None):
        from sla.models import SLAClock

        return SLAClock.objects.create(ticket=ticket, target=target, duration=timedelta(hours=24), clock="all_day",
                                       started_at=deadline - timedelta(hours=24), deadline=deadline,
                                       warning_at=warning, stopped_at=stopped, met=met)

    def callback(self, owner, due, status="pending", completed=None):
        from followups.models import Callback

        return Callback.objects.create(customer=self.customer, reason="manual", status=status, due_at=due,
                                       owner=owner, created_at=due - timedelta(days=1), completed_at=completed)

    def survey(self, agent, at, overall):
        from followups.models import SurveyInvitation, SurveyResponse

        self.seq += 1
        inv = SurveyInvitation.objects.create(customer=self.customer, nonce=f"n{self.seq}",
                                              created_at=at - timedelta(days=1), expires_at=at + timedelta(days=13),
                                              used_at=at)
        return SurveyResponse.objects.create(
            invitation=inv, overall=overall, reliability=overall, responsiveness=overall, assurance=overall,
            empathy=overall, tangibles=overall, recommend=8, submitted_at=at,
            month=at.astimezone(SH).date().replace(day=1), customer=self.customer, ticket_kind="repair", agent=agent)

    def complaint(self, staff, created, valid=True):
        from tickets.models import Complaint

        t = self.ticket(created=created, kind="complaint")
        return Complaint.objects.create(ticket=t, category="attitude", staff_member=staff, staff_complaint_valid=valid)


@pytest.fixture
def build(db, customer_factory):
    return Builder(customer_factory)
