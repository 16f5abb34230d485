"""Demo callbacks and survey answers (development only). Deterministic and idempotent."""
import random
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from customers.models import Customer

from . import selectors, services
from .models import Callback, SurveyInvitation, SurveyResponse

MARK = "demo-"  # nonce prefix of the historical invitations this loader made
HISTORY = 1500  # answers spread over the last 12 months, so the dashboard has a trend
COMMENTS = ["师傅很专业，谢谢！", "来得很及时", "Technician was polite and tidy.", "等了三天才上门，太慢了",
            "问题解决了，但电话一直打不通", "Great service, fixed in one visit.", "", "", "", "希望能提前电话通知上门时间"]


def _scores(rng, mood):
    base = {"good": 5, "ok": 4, "meh": 3, "bad": 2}[mood]
    pick = lambda: max(1, min(5, base + rng.choice([-1, 0, 0, 0, 1])))  # noqa: E731
    recommend = {"good": rng.choice([9, 10, 10, 8]), "ok": rng.choice([7, 8, 9]), "meh": rng.choice([5, 6, 7]),
                 "bad": rng.choice([0, 2, 4, 6])}[mood]
    return {"overall": pick(), "reliability": pick(), "responsiveness": pick(), "assurance": pick(),
            "empathy": pick(), "tangibles": pick(), "recommend": recommend}


def load(*, stdout, options):
    User = get_user_model()
    staff = {u.username: u for u in User.objects.filter(username__in=["agent", "agent2", "supervisor", "technician"])}
    if "agent" not in staff:
        stdout.write("Followups: demo staff missing, skipped.")
        return
    selectors.policy()
    rng = random.Random(20261123)
    now = timezone.now()
    # Only what this run's demo tickets produced (issue 11 item 10): a survey a customer was sent
    # after a technician's real visit is never answered by the loader, nor a real callback worked.
    demo_tickets = options.get("demo_tickets") or set()
    made_answers = _answer_recent_invitations(rng, now, demo_tickets)
    made_history = _history(rng, now, staff)
    made_callbacks = _callbacks(rng, now, staff, demo_tickets)
    stdout.write(f"Followups: {made_answers} survey answers to recent invitations, {made_history} historical answers, "
                 f"{made_callbacks} callbacks worked ({Callback.objects.count()} callbacks in all).")


def _answer_recent_invitations(rng, now, demo_tickets) -> int:
    """Two in three customers answer the survey the tickets demo sent them (a few of them unhappy)."""
    made = 0
    invitations = (SurveyInvitation.objects.filter(used_at__isnull=True, expires_at__gt=now,
                                                   ticket_id__in=demo_tickets)
                   .exclude(nonce__startswith=MARK).select_related("customer", "ticket").order_by("pk"))
    for inv in invitations:
        local = random.Random(inv.pk)  # per invitation: re-running decides the same way
        if local.random() > 0.66:
            continue
        mood = local.choices(["good", "ok", "meh", "bad"], weights=[50, 30, 12, 8])[0]
        answers = {**_scores(local, mood), "comment": local.choice(COMMENTS)}
        when = min(now, inv.created_at + timedelta(hours=local.randint(1, 48)))
        try:
            services.survey_submit(invitation=inv, answers=answers, now=when)
        except services.SurveyTokenError:
            continue
        made += 1
    return made


def _history(rng, now, staff) -> int:
    if SurveyInvitation.objects.filter(nonce__startswith=MARK).exists():
        return 0
    customers = list(Customer.objects.filter(merged_into__isnull=True).order_by("pk")[:300])
    if not customers:
        return 0
    agents = [staff.get("agent"), staff.get("agent2")]
    tech = staff.get("technician")
    invitations, answers = [], []
    for i in range(HISTORY):
        customer = customers[i % len(customers)]
        days_ago = rng.randint(15, 365)
        created = now - timedelta(days=days_ago, hours=rng.randint(0, 10))
        # Satisfaction improves over the year: a trend worth looking at.
        mood = rng.choices(["good", "ok", "meh", "bad"],
                           weights=[35 + (365 - days_ago) // 12, 30, 15, max(3, days_ago // 30)])[0]
        answered = rng.random() < 0.7
        submitted = created + timedelta(hours=rng.randint(1, 72))
        invitations.append(SurveyInvitation(
            customer=customer, nonce=f"{MARK}{secrets.token_hex(8)}", language=customer.preferred_language,
            created_at=created, expires_at=created + timedelta(days=14), used_at=submitted if answered else None,
            delivery_status=SurveyInvitation.Delivery.SENT, delivery_channel="sms", sent_at=created,
            technician=tech if rng.random() < 0.5 else None,
        ))
        answers.append((answered, mood, submitted))
    with transaction.atomic():
        created_invitations = SurveyInvitation.objects.bulk_create(invitations, batch_size=500)
        rows = []
        for inv, (answered, mood, submitted) in zip(created_invitations, answers):
            if not answered:
                continue
            customer = inv.customer
            rows.append(SurveyResponse(
                invitation=inv, customer=customer, submitted_at=submitted,
                month=timezone.localtime(submitted).date().replace(day=1), tier=customer.tier,
                region_id=customer.region_id, channel=rng.choice(["phone", "walk_in", "web", "email"]),
                ticket_kind=rng.choices(["repair", "inquiry", "suggestion"], weights=[70, 25, 5])[0],
                agent=rng.choice(agents), technician=inv.technician, comment=rng.choice(COMMENTS),
                **_scores(rng, mood),
            ))
        SurveyResponse.objects.bulk_create(rows, batch_size=500)
        services.satisfaction_rollup_rebuild()  # bulk rows bypass the services that keep it current
    return len(rows)


def _callbacks(rng, now, staff, demo_tickets) -> int:
    """Work some of the callbacks the demo tickets produced: reached, no answer, one unhappy customer.
    (Key-account callbacks are not made here: beat's daily job makes them, for every customer.)"""
    worked = 0
    demo = Callback.objects.filter(ticket_id__in=demo_tickets, status=Callback.Status.PENDING)
    worked += _settle_old_callbacks(demo, now)
    pending = list(demo.filter(reason=Callback.Reason.AFTER_REPAIR,
                               owner__isnull=False).select_related("ticket").order_by("pk")[:12])
    for i, cb in enumerate(pending[:8]):
        actor = cb.owner
        at = min(now, cb.due_at + timedelta(minutes=30))
        try:
            if i % 4 == 3:
                services.callback_record_attempt(callback=cb, actor=actor, reached=False, notes="无人接听", now=at)
            else:
                services.callback_record_attempt(
                    callback=cb, actor=actor, reached=True, now=at,
                    outcome="not_satisfied" if i == 2 else "satisfied",
                    notes="空调还是有异响" if i == 2 else "客户表示使用正常，感谢回访",
                    action="reopen" if i == 2 else None,
                )
        except Exception:  # a demo ticket in a state that cannot be reopened: skip it
            continue
        worked += 1
    # Overdue ones for the queue and the supervisor's panel: move the last few back in time.
    for cb in pending[8:]:
        Callback.objects.filter(pk=cb.pk).update(due_at=now - timedelta(hours=rng.randint(2, 30)))
    return worked


def _settle_old_callbacks(demo, now) -> int:
    """A working department has made last week's callbacks: demo callbacks due more than two days ago
    are recorded as reached and satisfied at their due time (so the first start does not remind of
    ~100 overdue calls); one in ten stays overdue, for the queue and the panel."""
    settled = 0
    old = demo.filter(due_at__lt=now - timedelta(days=2)).select_related("ticket", "owner").order_by("pk")
    for i, cb in enumerate(old):
        if cb.owner is None or i % 10 == 9:  # one in ten is still not made: overdue, for the queue
            continue
        try:
            services.callback_record_attempt(callback=cb, actor=cb.owner, reached=True, outcome="satisfied",
                                             notes="客户表示使用正常", now=min(now, cb.due_at + timedelta(minutes=20)))
        except Exception:  # noqa: BLE001 — a demo ticket in a state that cannot take it: leave it pending
            continue
        settled += 1
    return settled
