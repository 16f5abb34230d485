"""Demo assessment: a marketing head and a production head who evaluate, evaluators for the demo staff,
last month closed (the agent's worked example: 54, 54, 51, 60 → 90) and this month open with a few forms in.
Idempotent: months that already have a cycle are left as they are."""
from django.contrib.auth import get_user_model
from django.utils import timezone

from reports.periods import period_containing

from . import services
from .models import Cycle, EvaluationTask, EvaluatorAssignment, EvaluatorKind

HEADS = [("marketing", "Min", "Zhou"), ("production", "Gang", "Wu")]
# person -> (marketing, production, supervisor, peer) totals for last month
LAST_MONTH = {"agent": (54, 54, 51, 60), "agent2": (48, 50, 45, 52), "frontdesk": (40, 42, 44, 45)}


def _answers(cycle, total):
    out, left = {}, total
    for item in cycle.snapshot["items"]:
        out[item["id"]] = v = min(int(item["max"]), left)
        left -= v
    return out


def _fill(cycle, totals, now):
    for task in EvaluationTask.objects.filter(cycle=cycle).select_related("person", "evaluator", "kind"):
        t = totals.get(task.person.username)
        if t is None:
            continue
        total = {"supervisor": t[0], "marketing": t[1], "production": t[2], "peer": t[3]}[task.kind.code]
        services.evaluation_submit(task=task, by=task.evaluator, answers=_answers(cycle, total), now=now)


def load(*, stdout=None, options=None, now=None):
    User = get_user_model()
    now = now or timezone.now()
    manager = User.objects.filter(username="manager").first()
    people = {u.username: u for u in User.objects.filter(username__in=["agent", "agent2", "frontdesk", "supervisor"])}
    if manager is None or len(people) < 4:
        return
    heads = {}
    for username, first, last in HEADS:
        user, created = User.objects.get_or_create(username=username, defaults={
            "first_name": first, "last_name": last, "email": f"{username}@example.com"})
        if created:
            user.set_password("demo")
            user.save(update_fields=["password"])
        heads[username] = user
    kinds = {k.code: k for k in EvaluatorKind.objects.all()}
    wanted = [(people[p], heads["marketing"], "marketing") for p in ("agent", "agent2", "frontdesk")]
    wanted += [(people[p], heads["production"], "production") for p in ("agent", "agent2", "frontdesk")]
    wanted += [(people["agent"], people["agent2"], "peer"), (people["agent2"], people["agent"], "peer"),
               (people["frontdesk"], people["agent"], "peer"), (people["frontdesk"], people["supervisor"], "supervisor")]
    for person, evaluator, code in wanted:
        if code in kinds and not EvaluatorAssignment.objects.filter(person=person, evaluator=evaluator,
                                                                    kind=kinds[code]).exists():
            services.evaluator_assign(person=person, evaluator=evaluator, kind=kinds[code], by=manager, now=now)
    this_month = period_containing("month", timezone.localdate(now))
    last_month = this_month.previous()
    if not Cycle.objects.filter(month=last_month.first).exists():
        cycle = services.cycle_open(month=last_month.first, by=manager, now=last_month.start)
        _fill(cycle, LAST_MONTH, now=last_month.start)
        services.cycle_close(cycle=cycle, by=manager, now=this_month.start)
    if not Cycle.objects.filter(month=this_month.first).exists():
        cycle = services.cycle_open(month=this_month.first, by=manager, now=now)
        _fill(cycle, {"agent": (50, 48, 50, 55)}, now=now)
    if stdout is not None:
        stdout.write("Assessment: evaluators set, last month closed, this month open (logins marketing, production).")
