"""A small, hand-countable month (November 2026, Asia/Shanghai) plus October for the comparison.

Contacts go through customers.services.contact_log; rows that need historical timestamps the
services would stamp with "now" (tickets, clocks, complaints, callbacks, surveys, work orders) are
written with the ORM. Every expected figure in the tests is counted by hand from this file.
"""
from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

SH = ZoneInfo("Asia/Shanghai")


def L(m, d, h=0, mi=0, y=2026):
    """A local (Asia/Shanghai) moment."""
    return datetime(y, m, d, h, mi, tzinfo=SH)


# The moments where a rollup's day, hour and period edges are tested: the last minute before each month,
# the first moment of November and its last second (local time, a few hours off the UTC day).
MONTH_EDGES = (L(10, 31, 23, 59), L(11, 1), datetime(2026, 11, 30, 23, 59, 59, tzinfo=SH), L(9, 30, 23, 59))


def random_two_months(rnd, n: int) -> list[datetime]:
    """`n` moments at random seconds over October and November (local time)."""
    return [L(10, 1) + timedelta(seconds=rnd.randrange(61 * 86400)) for _ in range(n)]


@pytest.fixture
def month_data(db):
    from customers.models import Asset, Channel, Contact, Region
    from customers.services import contact_log
    from dispatch.models import Part, PartUsage, Skill, Technician, WorkOrder
    from followups.models import Callback, SurveyInvitation, SurveyResponse
    from servicedesk.models import Team
    from sla.models import SLAClock
    from tickets.models import Complaint, Department, FaultCause, Ticket

    from django.contrib.auth import get_user_model

    from customers.services import PhoneInput, customer_create

    # Plain users: the figures do not depend on roles, and syncing groups per persona is slow.
    User = get_user_model()
    fd = User.objects.create_user("desk", first_name="Desk")
    agent = User.objects.create_user("cbagent", first_name="Agent")
    tech_users = [User.objects.create_user(f"tech{i}", first_name=f"Technician{'' if i == 1 else i}") for i in (1, 2)]
    cust = customer_create(name="Wang Wei", phones=[PhoneInput("13900000001")], created_by=fd)
    a1 = Asset.objects.create(customer=cust, product="Boiler", model="B-100")
    a2 = Asset.objects.create(customer=cust, product="Boiler", model="B-200")
    team = Team.objects.create(name="Repairs")

    # --- contacts ---
    for channel, direction, at in [
        (Channel.WALK_IN, "in", L(11, 2, 9, 15)),
        (Channel.PHONE, "in", L(11, 2, 9, 40)),
        (Channel.PHONE, "out", L(11, 3, 14, 5)),
        (Channel.EMAIL, "in", L(11, 30, 23, 59)),  # last minute of November (local)
        (Channel.PHONE, "in", L(12, 1, 0, 0)),  # first minute of December: not November
        (Channel.WALK_IN, "in", L(10, 31, 23, 59)),  # October
        (Channel.PHONE, "in", L(10, 15, 10, 0)),  # October
    ]:
        contact_log(handled_by=fd, channel=channel, direction=direction, customer=cust, started_at=at)

    # --- tickets ---
    pump = FaultCause.objects.create(name="Pump failure", code="pump")
    sensor = FaultCause.objects.create(name="Sensor", code="sensor")
    seq = {"n": 0}

    def ticket(kind, priority, created, fr=None, resolved=None, closed=None, status="in_progress", asset=None,
               cause=None, team_=None):
        seq["n"] += 1
        t = Ticket.objects.create(number=f"T-{seq['n']:03d}", kind=kind, priority=priority, status=status,
                                  customer=cust, asset=asset, subject=f"Ticket {seq['n']}", created_by=fd,
                                  first_response_at=fr, resolved_at=resolved, closed_at=closed, fault_cause=cause,
                                  team=team_)
        Ticket.objects.filter(pk=t.pk).update(created_at=created)
        t.refresh_from_db()
        return t

    t1 = ticket("repair", 0, L(11, 2, 9), L(11, 2, 10), L(11, 3, 9), L(11, 5, 9), "closed", a1, pump, team)
    t2 = ticket("repair", 2, L(11, 4, 8), L(11, 4, 10), L(11, 6, 8), None, "resolved", a1, pump, team)
    t3 = ticket("inquiry", 2, L(11, 10, 12), L(11, 10, 16), L(11, 10, 18), L(11, 11, 12), "closed")
    t4 = ticket("complaint", 1, L(11, 12, 10), L(11, 13, 6))
    t5 = ticket("inquiry", 3, L(11, 20, 9), status="new")
    t6 = ticket("repair", 2, L(10, 20, 9), L(10, 20, 17), L(11, 1, 0), None, "resolved", a2, sensor)
    t7 = ticket("suggestion", 2, L(11, 15, 9), status="cancelled")
    t8 = ticket("complaint", 2, L(11, 25, 10))
    t9 = ticket("repair", 2, L(10, 1, 10), None, L(10, 5, 10), L(10, 6, 10), "closed", a1, pump)

    # --- SLA clocks (decided = stopped with met set) ---
    def clock(t, target, stopped, met):
        SLAClock.objects.create(ticket=t, target=target, duration=timedelta(hours=24), clock="all_day",
                                started_at=t.created_at, deadline=t.created_at + timedelta(hours=24),
                                stopped_at=stopped, met=met)

    clock(t1, "first_response", L(11, 2, 10), True)
    clock(t1, "resolution", L(11, 3, 9), True)
    clock(t2, "first_response", L(11, 4, 10), True)
    clock(t2, "resolution", L(11, 6, 8), False)
    clock(t3, "first_response", L(11, 10, 16), True)
    clock(t4, "first_response", L(11, 13, 6), False)
    clock(t4, "investigation", L(11, 12, 16), True)
    clock(t5, "first_response", None, None)  # still running
    clock(t6, "first_response", L(10, 20, 17), True)  # October
    from sla import rollup

    rollup.rebuild()  # the clocks were written directly: the SLA figures read the daily rollup

    # --- complaints ---
    quality_dept = Department.objects.create(name="Quality dept")
    Complaint.objects.create(ticket=t4, category="quality", department=quality_dept,
                             investigated_at=L(11, 12, 16), solution_sent_at=L(11, 14, 10))
    Complaint.objects.create(ticket=t8, category="attitude", investigated_at=L(11, 25, 12))

    # --- callbacks ---
    def callback(reason, status, due, completed=None):
        return Callback.objects.create(customer=cust, reason=reason, status=status, due_at=due, owner=agent,
                                       created_at=due - timedelta(days=2), completed_at=completed)

    callback("after_repair", "done", L(11, 5, 10), L(11, 5, 9))
    callback("after_repair", "done", L(11, 6, 10), L(11, 7, 10))
    callback("manual", "pending", L(11, 20, 10))
    callback("manual", "unreachable", L(11, 21, 10), L(11, 21, 12))
    callback("manual", "cancelled", L(11, 22, 10))
    callback("manual", "pending", L(11, 28, 10))  # not yet due on 25 November
    callback("after_repair", "done", L(10, 10, 10), L(10, 10, 9))  # October

    # --- surveys ---
    def survey(at, overall, rel, resp, assur, emp, tang, rec, kind):
        inv = SurveyInvitation.objects.create(customer=cust, nonce=f"n{at:%m%d%H%M}", created_at=at - timedelta(days=1),
                                              expires_at=at + timedelta(days=13), used_at=at)
        SurveyResponse.objects.create(invitation=inv, overall=overall, reliability=rel, responsiveness=resp,
                                      assurance=assur, empathy=emp, tangibles=tang, recommend=rec, submitted_at=at,
                                      month=at.astimezone(SH).date().replace(day=1), customer=cust, ticket_kind=kind)

    survey(L(11, 3, 10), 5, 5, 4, 5, 5, 4, 10, "repair")
    survey(L(11, 7, 10), 4, 4, 4, 4, 3, 4, 8, "repair")
    survey(L(11, 11, 10), 2, 2, 1, 3, 2, 3, 3, "inquiry")
    survey(L(11, 30, 23, 59), 3, 3, 3, 3, 3, 3, 9, "inquiry")
    survey(L(12, 1, 0, 0), 1, 1, 1, 1, 1, 1, 0, "inquiry")  # December
    survey(L(10, 12, 10), 4, 4, 4, 4, 4, 4, 10, "repair")  # October

    # --- work orders ---
    region = Region.objects.create(name="East", code="east")
    skill = Skill.objects.create(name="Boilers", code="boilers")
    tech1 = Technician.objects.create(user=tech_users[0])
    tech2 = Technician.objects.create(user=tech_users[1])
    p1 = Part.objects.create(sku="P-1", name="Pump")
    p2 = Part.objects.create(sku="P-2", name="Sensor")

    def wo(n, tech, asset, created, arrived=None, signed=None, status="done"):
        return WorkOrder.objects.create(
            number=f"WO-{n}", ticket=t1, customer=cust, asset=asset, address="1 Road", region=region,
            window_start=created, window_end=created + timedelta(hours=4), skill=skill,
            estimated_value=Decimal("100"), value_tier="small", status=status, technician=tech,
            arrived_at=arrived, signed_at=signed, created_by=fd, created_at=created)

    w1 = wo(1, tech1, a1, L(11, 1, 8), L(11, 2, 10), L(11, 2, 12), "closed")
    w2 = wo(2, tech1, a2, L(11, 4, 8), L(11, 5, 9), L(11, 5, 10))
    w3 = wo(3, tech2, a1, L(11, 20, 8), L(11, 21, 10), L(11, 21, 14))  # revisit of w1's asset within 30 days
    wo(4, tech2, None, L(11, 22, 8), L(11, 22, 10), L(11, 22, 11))
    wo(5, tech1, a2, L(11, 24, 8), status="cancelled")  # cancelled: not a second visit
    w6 = wo(6, tech1, a2, L(10, 9, 8), L(10, 10, 9), L(10, 10, 12))  # October; w2 revisits within 30 days
    for w, part, qty in [(w1, p1, 2), (w2, p2, 1), (w3, p1, 3), (w6, p1, 1)]:
        PartUsage.objects.create(work_order=w, part=part, quantity=qty, recorded_by=fd, recorded_at=w.signed_at)

    return SimpleNamespace(customer=cust, team=team, tickets=[t1, t2, t3, t4, t5, t6, t7, t8, t9],
                           a1=a1, a2=a2, pump=pump, sensor=sensor)
