"""Demo tags and shared canned replies (development only). Idempotent: a second load adds nothing;
only this run's demo tickets are tagged (options["demo_tickets"])."""
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from tickets.models import Tag, Ticket
from tickets.services import tag_create, ticket_set_tags

from .models import Macro
from .services import macro_save

TAGS = [("安装", "primary"), ("billing", "warning"), ("回访", "info"), ("VIP", "danger"), ("parts", "success")]
REPLIES = [
    dict(name="收到报修 / Request received",
         text_zh="{greeting}，您好！您的报修（{number}）我们已收到，将在{promised}前答复您。进度可随时查看：{link}",
         text_en="{greeting}, we have your request {number} and will answer by {promised}. Progress: {link}"),
    dict(name="配件已订购 / Part ordered", set_status=Ticket.Status.WAITING, tag="parts",
         text_zh="{greeting}，您好！{number}所需配件已订购，到货后{agent}会第一时间联系您安排上门。",
         text_en="{greeting}, the part for {number} is on order; {agent} will call you to book the visit as soon as it arrives."),
    dict(name="上门时间确认 / Visit confirmed",
         text_zh="{greeting}，您好！{technician}将于{window}上门处理{number}，如需改约请致电{hotline}。",
         text_en="{greeting}, {technician} will visit for {number} on {window}. To change it call {hotline}."),
    dict(name="我来处理 / Take and start", text_zh="", text_en="", assign=Macro.Assign.ME,
         set_status=Ticket.Status.IN_PROGRESS),
]


def load(*, stdout, options):
    User = get_user_model()
    manager = User.objects.filter(username="manager").first()
    agent = User.objects.filter(username="agent").first()
    if manager is None or agent is None:
        stdout.write("Canned replies: demo staff missing, skipped.")
        return
    now = timezone.now()
    tags = {}
    for name, colour in TAGS:
        tag = Tag.objects.filter(name__iexact=name).first() or tag_create(name=name, actor=manager, colour=colour,
                                                                         now=now)
        tags[name] = tag
    made = 0
    for spec in REPLIES:
        spec = dict(spec)
        tag = spec.pop("tag", None)
        if Macro.objects.filter(owner__isnull=True, name__iexact=spec["name"]).exists():
            continue
        macro_save(macro=Macro(**spec), actor=manager, tags=[tags[tag]] if tag else [], shared=True)
        made += 1
    tagged = 0
    rng = random.Random(20261130)
    for ticket in Ticket.objects.filter(pk__in=options.get("demo_tickets") or ()).order_by("pk"):
        if rng.random() < 0.25:
            chosen = rng.sample(list(tags.values()), k=rng.choice([1, 1, 2]))
            added, _removed = ticket_set_tags(ticket=ticket, tags=chosen, actor=agent, now=ticket.created_at,
                                              only_add=True)
            tagged += bool(added)
    stdout.write(f"Canned replies: {made} shared replies and macros, {len(tags)} tags, {tagged} demo tickets tagged.")
