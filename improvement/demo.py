"""Demo improvement actions: one from last month carried over, one in progress linked to a complaint, one done.
Idempotent: nothing is added once the register has any action."""
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from reports.periods import period_containing
from tickets.models import FaultCause, Ticket

from . import services
from .models import ImprovementAction


def load(*, stdout=None, options=None, now=None):
    if ImprovementAction.objects.exists():
        return
    User = get_user_model()
    now = now or timezone.now()
    people = {u.username: u for u in User.objects.filter(username__in=["agent", "agent2", "supervisor", "manager"],
                                                          is_active=True)}
    if len(people) < 4:
        return
    last_month = period_containing("month", timezone.localdate(now)).previous()
    carried = services.action_create(
        problem="午间来电排队过长 / Callers wait too long at lunch time", measure="错峰午休，高峰增派一名坐席",
        owner=people["agent"], due_date=timezone.localdate(now) + timedelta(days=10), by=people["supervisor"],
        now=last_month.start + timedelta(days=5))
    services.action_move(action=carried, by=people["agent"], to_status="do", now=last_month.start + timedelta(days=6))
    services.actions_carry_over(now=now)
    complaint = Ticket.objects.filter(kind=Ticket.Kind.COMPLAINT).order_by("pk").first()
    services.action_create(
        problem="工程师上门未穿鞋套被投诉 / Complaint: engineer without shoe covers", measure="出发前检查工具包清单",
        owner=people["agent2"], due_date=timezone.localdate(now) + timedelta(days=20), by=people["manager"],
        complaints=[complaint] if complaint else [], now=now)
    done = services.action_create(
        problem="同一型号热水器反复漏水 / Recurring leaks on one heater model", measure="更换批次密封圈并回访",
        owner=people["agent"], due_date=timezone.localdate(now), by=people["manager"],
        fault_cause=FaultCause.objects.filter(is_active=True).first(), now=now - timedelta(days=2))
    for status in ("do", "check", "act", "done"):
        services.action_move(action=done, by=people["agent"], to_status=status, now=now - timedelta(days=1))
    if stdout is not None:
        stdout.write("Improvement actions: 3 in the register (one carried over from last month).")
