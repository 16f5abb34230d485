"""Demo dispatch data: skills, technicians, spare parts and a handful of work orders in every state.

Deterministic and idempotent: technicians and parts are get_or_create; work orders are only created
when there are none yet (re-running adds nothing).
"""
import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from customers.models import Asset, Customer, Region
from servicedesk import roles
from servicedesk.lookups import demo_lookup

from . import services
from .models import DispatchSettings, Level, Offer, Part, Skill, StockLevel, Technician, WorkOrder

SKILLS = [("aircon", "空调", "Air conditioning"), ("heater", "热水器", "Water heaters"), ("printer", "打印机", "Printers"),
          ("elevator", "电梯", "Elevators"), ("fridge", "制冷设备", "Refrigeration")]
EXTRA_TECHS = [
    # username, first, last, level, skills, region codes
    ("tech_chen", "Gang", "Chen", Level.CHIEF, ["aircon", "elevator", "fridge"], ["chaoyang", "dongcheng"]),
    ("tech_wu", "Bin", "Wu", Level.SENIOR, ["aircon", "heater"], ["haidian", "xicheng"]),
    ("tech_zhou", "Ping", "Zhou", Level.JUNIOR, ["printer", "heater"], ["chaoyang", "haidian"]),
    ("tech_xu", "Tao", "Xu", Level.SENIOR, ["fridge", "aircon"], ["changping", "miyun"]),
    ("tech_sun", "Yong", "Sun", Level.JUNIOR, ["aircon"], ["dongcheng", "xicheng", "chaoyang"]),
]
PARTS = [("CAP-35", "压缩机电容 35µF", "Compressor capacitor 35µF", "45", 20),
         ("FAN-12", "室内风机电机", "Indoor fan motor", "260", 6), ("TH-02", "温控传感器", "Thermostat sensor", "38", 2),
         ("PCB-7", "主控板", "Control board", "420", 0), ("VALVE-4", "四通阀", "Four-way valve", "310", 4)]
FAULT_CAUSES = [("capacitor", "电容损坏", "Capacitor failure"), ("refrigerant", "冷媒泄漏", "Refrigerant leak"),
                ("wiring", "接线松动", "Loose wiring"), ("misuse", "使用不当", "Improper use")]


def load(*, stdout, options):
    rng = random.Random(5)
    User = get_user_model()
    DispatchSettings.load()
    skills = {code: demo_lookup(Skill, name_zh=zh, name_en=en, lookup={"code": code})[0] for code, zh, en in SKILLS}
    regions = {r.code: r for r in Region.objects.all()}
    group = Group.objects.get(name=roles.TECHNICIAN)

    def technician(user, level, skill_codes, region_codes):
        tech, _created = Technician.objects.get_or_create(user=user, defaults={"level": level})
        tech.skills.add(*[skills[c] for c in skill_codes])
        tech.regions.add(*[regions[c] for c in region_codes if c in regions])
        return tech

    li = technician(User.objects.get(username="technician"), Level.SENIOR, ["aircon", "heater", "fridge"],
                    ["chaoyang", "haidian", "dongcheng"])
    technician(User.objects.get(username="technician2"), Level.JUNIOR, ["aircon", "printer"], ["xicheng", "chaoyang"])
    for username, first, last, level, skill_codes, region_codes in EXTRA_TECHS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last, "email": f"{username}@example.com"})
        if created:
            user.set_password("demo")
            user.save()
        user.groups.add(group)
        technician(user, level, skill_codes, region_codes)
    for sku, zh, en, price, qty in PARTS:
        part, _created = demo_lookup(Part, name_zh=zh, name_en=en, lookup={"sku": sku},
                                     defaults={"unit_price": Decimal(price)})
        StockLevel.objects.get_or_create(part=part, defaults={"quantity": qty})

    from tickets.models import FaultCause

    if not FaultCause.objects.exists():  # the tickets area owns the list; seed it only when empty
        for i, (code, zh, en) in enumerate(FAULT_CAUSES):
            FaultCause.objects.create(code=code, name=zh, name_en=en, sort_order=i)

    if WorkOrder.objects.exists():
        stdout.write("Dispatch: demo work orders already there.")
        return
    _work_orders(rng=rng, skills=skills, li=li, stdout=stdout, made_ids=options.setdefault("demo_tickets", set()))


def _work_orders(*, rng, skills, li, stdout, made_ids: set):
    from tickets.models import TicketEvent
    from tickets.services import ticket_create

    User = get_user_model()
    agent, supervisor = User.objects.get(username="agent"), User.objects.get(username="supervisor")
    now = timezone.now()
    today = timezone.localtime(now).replace(hour=9, minute=0, second=0, microsecond=0)
    customers = list(Customer.objects.filter(region__code__in=["chaoyang", "haidian", "dongcheng"],
                                             merged_into__isnull=True).exclude(address="").order_by("pk")[:12])
    made = []
    for i, customer in enumerate(customers):
        asset = Asset.objects.filter(customer=customer).order_by("pk").first() or Asset.objects.create(
            customer=customer, product="Air conditioner", model="KFR-35GW", serial_number=f"DEMO{i:04d}",
            warranty_end=(now + timedelta(days=200 if i % 3 else -30)).date(),
        )
        ticket = ticket_create(customer=customer, kind="repair", subject=f"{asset.product}: not working",
                               created_by=agent, asset=asset, now=now - timedelta(hours=3))
        # Marked like the tickets demo's (but not counted by it): this run's demo rows (issue 11 item 10).
        TicketEvent.objects.filter(ticket=ticket, kind="created").update(after={"demo": "dispatch"})
        made_ids.add(ticket.pk)
        start = today + timedelta(hours=1 + (i % 4) * 2, days=i // 6)
        wo = services.workorder_create(
            ticket=ticket, created_by=agent, skill=skills["aircon"],
            estimated_value=Decimal(rng.choice(["800", "2500", "36000", "62000"])),
            window_start=start, window_end=start + timedelta(hours=2),
            instructions="Call the customer 30 minutes before arriving." if i % 2 else "", now=now - timedelta(hours=2),
        )
        made.append(wo)
    # Li Wei (the demo technician): one job accepted and under way, one offer waiting for an answer.
    if made:
        services.workorder_force_dispatch(work_order=made[0], technician=li, actor=supervisor,
                                          reason="Customer asked for Li Wei by name", now=now - timedelta(hours=1))
        services.workorder_arrive(work_order=made[0], actor=li.user, now=now - timedelta(minutes=30))
    for wo in made[1:8]:
        services.workorder_auto_dispatch(work_order=wo, actor=supervisor, now=now - timedelta(minutes=10))
    pending = Offer.objects.filter(answer=Offer.Answer.PENDING).count()
    stdout.write(f"Dispatch: {len(made)} work orders ({pending} offers pending), "
                 f"{Technician.objects.count()} technicians, {Part.objects.count()} spare parts.")
