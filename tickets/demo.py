"""Demo tickets (development only): a few hundred across kinds and statuses, with replies and events.

Created through the services (so numbers, counters, events and every other area's receivers — SLA
clocks, callbacks — are exactly what real use produces), at past moments. Deterministic: a seeded
generator walks the same list every time, and tickets already made (marked by their "created"
event's message) are skipped, so re-running adds nothing.
"""
import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from customers.models import Asset, Customer
from servicedesk.lookups import demo_lookup

from . import services
from .models import Department, FaultCause, Ticket, TicketEvent

TOTAL = 300
FAULT_CAUSES = [("零件磨损", "Worn part", "worn-part"), ("安装不当", "Wrong installation", "installation"),
                ("供电异常", "Power supply", "power"), ("用户操作不当", "User error", "user-error"),
                ("制造缺陷", "Manufacturing defect", "defect"), ("冷媒泄漏", "Refrigerant leak", "leak")]
DEPARTMENTS = [("售后服务部", "After-sales service"), ("安装队", "Installation team"), ("财务部", "Billing"),
               ("物流部", "Logistics")]
SUBJECTS = {
    "repair": ["空调不制冷", "Water heater shows error E4", "打印机卡纸", "Elevator stops between floors",
               "冰箱噪音大", "Air conditioner leaks water", "热水器不点火", "Printer prints blank pages"],
    "inquiry": ["保修期怎么查询？", "How do I book an installation?", "发票怎么开？", "Opening hours on holidays",
                "配件价格咨询"],
    "complaint": ["维修人员迟到三小时", "Technician was rude", "收费与报价不一致", "Repair did not last a week",
                  "电话一直没人接"],
    "suggestion": ["希望增加周末上门服务", "Please send SMS reminders before visits", "建议公开维修价格表"],
}
REPLIES = ["您好，我们已收到您的报修，工程师将尽快联系您。", "We have booked a technician for tomorrow morning.",
           "请问方便提供一下产品序列号吗？", "Thank you, the part has been ordered.", "问题已处理，请您确认。"]
NOTES = ["Customer prefers calls after 6 pm.", "已联系仓库确认备件库存。", "Second visit needed.", "客户情绪较激动，注意沟通方式。"]


def load(*, stdout, options):
    User = get_user_model()
    staff = {u.username: u for u in User.objects.filter(
        username__in=["frontdesk", "agent", "agent2", "supervisor", "manager"])}
    if len(staff) < 5:
        stdout.write("Tickets: demo staff missing, skipped.")
        return
    causes = [demo_lookup(FaultCause, name_zh=zh, name_en=en, lookup={"code": code}, defaults={"sort_order": i})[0]
              for i, (zh, en, code) in enumerate(FAULT_CAUSES)]
    departments = [demo_lookup(Department, name_zh=zh, name_en=en)[0] for zh, en in DEPARTMENTS]
    # Heads and members, so a complaint handed to a department reaches someone who can accept it (the demo
    # login agent2 heads after-sales; the technician heads the installation team); the others have none,
    # and their silence escalates to the supervisor.
    technician = User.objects.filter(username="technician").first()
    for department, head, members in ((departments[0], staff["agent2"], [staff["agent2"], staff["agent"]]),
                                      (departments[1], technician, [technician] if technician else [])):
        if head is not None and department.head_id is None:
            department.head = head
            department.save(update_fields=["head"])
            department.members.add(*members)
    customers = list(Customer.objects.filter(merged_into__isnull=True).order_by("pk")[:200])
    if not customers:
        stdout.write("Tickets: no customers, skipped.")
        return
    assets = {}
    for a in Asset.objects.filter(customer__in=customers).order_by("pk"):
        assets.setdefault(a.customer_id, a)
    done = TicketEvent.objects.filter(kind="created", after__demo=True).count()
    if done >= TOTAL:
        stdout.write(f"Tickets: {done} demo tickets already there.")
        return
    rng = random.Random(20261123)
    base = timezone.now().replace(minute=0, second=0, microsecond=0)
    made = 0
    for i in range(TOTAL):
        spec = _spec(rng, i, customers, assets, causes, departments, staff, base)
        if i < done:
            continue
        _make(spec, made_ids=options.setdefault("demo_tickets", set()))
        made += 1
    stdout.write(f"Tickets: {made} demo tickets opened (with replies, notes and events).")


def _spec(rng, i, customers, assets, causes, departments, staff, base):
    kind = rng.choices(["repair", "inquiry", "complaint", "suggestion"], weights=[55, 25, 12, 8])[0]
    customer = customers[rng.randrange(len(customers))]
    return {
        "kind": kind,
        "customer": customer,
        "asset": assets.get(customer.pk) if kind in ("repair", "complaint") else None,
        "subject": rng.choice(SUBJECTS[kind]),
        "priority": rng.choices([0, 1, 2, 3], weights=[5, 20, 60, 15])[0],
        "channel": rng.choice(["phone", "phone", "walk_in", "email", "web"]),
        # Spread over the last 60 days, newest last; i keeps numbers in time order.
        "opened": base - timedelta(hours=(TOTAL - i) * 4 + rng.randint(0, 3)),
        "fate": _settled(i, rng.choices(["new", "ack", "progress", "waiting", "resolved", "closed", "cancelled"],
                                        weights=[12, 8, 18, 7, 20, 30, 5])[0]),
        "assignee": rng.choice([staff["agent"], staff["agent2"], staff["supervisor"], None]),
        "cause": rng.choice(causes),
        "department": rng.choice(departments),
        "reply": rng.choice(REPLIES),
        "note": rng.choice(NOTES) if rng.random() < 0.4 else "",
        "staff": staff,
        "category": ["timeliness", "attitude", "quality", "price", "other"][i % 5],  # not drawn: keeps the sequence
    }


def _settled(i: int, fate: str) -> str:
    """A working department: tickets older than three days are done, except a few still open (and
    breached); only the last three days' tickets are in every state, a handful of them at risk.
    Applied after the draw, so the random sequence (and thus every other value) is unchanged."""
    age_hours = (TOTAL - i) * 4
    if fate in ("new", "ack", "progress", "waiting") and age_hours > 72 and i % 60 != 7:
        return "closed"
    return fate


def _make(s, *, made_ids: set):
    staff, t0 = s["staff"], s["opened"]
    now = timezone.now()

    def at(hours):
        return min(t0 + timedelta(hours=hours), now)

    t = services.ticket_create(customer=s["customer"], kind=s["kind"], subject=s["subject"], channel=s["channel"],
                               priority=s["priority"], asset=s["asset"], created_by=staff["frontdesk"],
                               description=s["subject"], now=t0)
    ev = TicketEvent.objects.get(ticket=t, kind="created")
    ev.after = {**ev.after, "demo": True}  # the marker that makes re-running add nothing
    ev.save(update_fields=["after"])
    made_ids.add(t.pk)
    fate, agent = s["fate"], s["assignee"]
    if fate == "new":
        return
    if agent is not None:
        services.ticket_assign(ticket=t, assignee=agent, actor=agent, now=at(1))
    actor = agent or staff["agent"]
    t = services.ticket_transition(ticket=t, to_status="acknowledged", actor=actor, now=at(1))
    services.ticket_reply(ticket=t, author=actor, body=s["reply"], public=True, now=at(2))
    if s["note"]:
        services.ticket_reply(ticket=t, author=actor, body=s["note"], public=False, now=at(3))
    if fate == "ack":
        return
    if fate == "cancelled":
        services.ticket_transition(ticket=t, to_status="cancelled", actor=actor, now=at(4),
                                   reason="客户表示问题已自行解决 / solved by the customer")
        return
    t = services.ticket_transition(ticket=t, to_status="in_progress", actor=actor, now=at(4))
    if fate == "progress":
        return
    if fate == "waiting":
        services.ticket_transition(ticket=t, to_status="waiting", actor=actor, now=at(5))
        return
    if s["kind"] == "complaint":
        services.complaint_update(ticket=t, actor=actor, category=s["category"], department=s["department"],
                                  now=at(4))
        services.complaint_record_investigation(ticket=t, actor=actor, findings="情况属实 / confirmed by the team lead",
                                                department=s["department"], now=at(5))
        services.complaint_decide(ticket=t, actor=staff["supervisor"], decision="致歉并免费复修 / apologise, free re-visit",
                                  remedy="apology", now=at(8))
        services.complaint_send_solution(ticket=t, actor=actor, body="非常抱歉给您带来不便，我们将免费为您复修。",
                                         now=at(9))
    t = services.ticket_resolve(ticket=t, actor=actor, fault_cause=s["cause"] if s["kind"] == "repair" else None,
                                solution="已处理 / done", now=at(24))
    if fate == "closed":
        if s["kind"] == "complaint":
            services.complaint_record_return_visit(ticket=t, actor=actor, outcome="satisfied", notes="客户满意",
                                                   now=at(48))
        services.ticket_transition(ticket=t, to_status="closed", actor=actor, now=at(72))
