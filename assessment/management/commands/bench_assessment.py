"""Benchmark: a month's assessment for S staff (default 500) with N tickets behind the facts
(default 1,000,000 on PostgreSQL, 100,000 on SQLite): `manage.py bench_assessment [--n N] [--staff S]`.

Builds (once; a rerun tops up) S agents in teams of 20 with a supervisor each, a marketing head, a
production head and two peers per person; N tickets over the last 12 months, a tenth of them complaints
against a staff member (a third of those valid). Each run then replaces the bench's two cycles: last
month opened, every form filled, closed (timed: the lock of S results); this month opened (timed) with
every form filled. Times through Django's test Client: the manager's cycle page (open month, live
scores, pages 1 and 10; closed month, stored results), a supervisor's team page, an agent's own page,
an evaluator's form, the payroll CSV and the live board (monitoring) as a supervisor and a manager. Prints median/p95 ms and the query counts (which must not
depend on S or N), then as its last line one JSON object.
"""
import json
import random
import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from servicedesk import roles
from servicedesk.bench import claim_bench_database, time_requests

YEAR = 2097  # bench ticket numbers: never collide with real numbering (bench_tickets uses 2098)
NOTE = "bench_assessment batch"
TEAM_SIZE = 20


class Command(BaseCommand):
    help = "Benchmark the monthly assessment: open, close and the cycle pages for S staff over N tickets."

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=None, help="tickets (default 1,000,000 PostgreSQL / 100,000 SQLite)")
        parser.add_argument("--staff", type=int, default=500)
        parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
        parser.add_argument("--batch", type=int, default=10_000)

    def handle(self, *args, n, staff, requests, batch, **options):
        claim_bench_database(command="bench_assessment")  # before any write: never on demo or real data
        n = n if n is not None else (1_000_000 if connection.vendor == "postgresql" else 100_000)
        roles.sync_roles()
        t0 = time.perf_counter()
        people, sups, heads, manager = self._staff(staff)
        self._assignments(people, heads, manager)
        built = self._tickets(n, people, batch)
        build_s = time.perf_counter() - t0
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE tickets_ticket; ANALYZE tickets_complaint;")

        from assessment import services
        from assessment.models import Cycle, EvaluationTask
        from reports.periods import period_containing

        this_month = period_containing("month", timezone.localdate())
        last_month = this_month.previous()
        Cycle.objects.filter(month__in=[this_month.first, last_month.first]).delete()
        timings = {}
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            closed = services.cycle_open(month=last_month.first, by=manager)
            timings["cycle_open"] = {"ms": round((time.perf_counter() - start) * 1000, 1),
                                     "queries": len(ctx.captured_queries)}
        self._fill(closed)
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            services.cycle_close(cycle=closed, by=manager)
            timings["cycle_close"] = {"ms": round((time.perf_counter() - start) * 1000, 1),
                                      "queries": len(ctx.captured_queries)}
        current = services.cycle_open(month=this_month.first, by=manager)
        self._fill(current)
        forms = EvaluationTask.objects.filter(cycle=current).count()

        client = Client()
        evaluator_task = EvaluationTask.objects.filter(cycle=current, kind__code="supervisor").first()
        pages = {
            "cycle page (open, live), p1": (manager, reverse("assessment:cycle", kwargs={"pk": current.pk})),
            "cycle page (open, live), p10": (manager, reverse("assessment:cycle", kwargs={"pk": current.pk}) + "?page=10"),
            "cycle page (closed)": (manager, reverse("assessment:cycle", kwargs={"pk": closed.pk})),
            "supervisor's team": (sups[0], reverse("assessment:cycle", kwargs={"pk": current.pk})),
            "my assessment": (people[0], reverse("assessment:mine")),
            "evaluator's form": (evaluator_task.evaluator, reverse("assessment:form", kwargs={"pk": evaluator_task.pk})),
            "payroll CSV": (manager, reverse("assessment:cycle_payroll", kwargs={"pk": closed.pk})),
            # The supervisors' live board (monitoring): today's figures for a team of TEAM_SIZE.
            "live board, supervisor's team": (sups[0], reverse("monitoring:board")),
            "live board, manager (all teams)": (manager, reverse("monitoring:board")),
        }
        results = {}
        for label, (user, url) in pages.items():
            client.force_login(user)
            client.get(url)  # warm-up

            def call(_i, url=url):
                response = client.get(url)
                if getattr(response, "streaming", False):
                    b"".join(response.streaming_content)
                return response

            results[label] = time_requests(call, requests)

        tickets, complaints = self._counts()
        self.stdout.write(f"\nAssessment — {len(people)} staff, {forms:,} forms, {tickets:,} tickets, "
                          f"{complaints:,} complaints ({connection.vendor}), {requests} requests each"
                          f"{' (built ' + format(built, ',') + ' tickets in ' + str(round(build_s, 1)) + ' s)' if built else ''}")
        self.stdout.write(f"{'step':<34}{'median ms':>10}{'p95 ms':>10}{'queries':>12}")
        for label, t in timings.items():
            self.stdout.write(f"{label:<34}{t['ms']:>10}{'':>10}{t['queries']:>12}")
        for label, r in results.items():
            q = r["queries"] if r["queries"] == r["queries_min"] else f"{r['queries_min']}–{r['queries']}"
            self.stdout.write(f"{label:<34}{r['median_ms']:>10}{r['p95_ms']:>10}{str(q):>12}")
        self.stdout.write(json.dumps({
            "bench": "assessment", "vendor": connection.vendor, "staff": len(people), "forms": forms,
            "tickets": tickets, "complaints": complaints, "requests": requests, "steps": timings, "pages": results,
        }, ensure_ascii=False, default=str))

    # --- data ------------------------------------------------------------------------------------------
    def _user(self, username, group=None, **extra):
        User = get_user_model()
        user, created = User.objects.get_or_create(username=username, defaults=extra)
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            if group is not None:
                user.groups.add(group)
        return user

    def _staff(self, count):
        from servicedesk.models import StaffProfile, Team

        agent = Group.objects.get(name=roles.AGENT)
        sup_group = Group.objects.get(name=roles.SUPERVISOR)
        manager = self._user("bench_assess_manager", Group.objects.get(name=roles.MANAGER), first_name="Bench")
        heads = {"marketing": self._user("bench_assess_marketing", first_name="Marketing"),
                 "production": self._user("bench_assess_production", first_name="Production")}
        people, sups = [], []
        for t in range((count + TEAM_SIZE - 1) // TEAM_SIZE):
            sup = self._user(f"bench_assess_sup_{t:03d}", sup_group, first_name=f"Sup{t:03d}")
            team, _c = Team.objects.get_or_create(name=f"考核组{t:03d}", defaults={"supervisor": sup})
            sups.append(sup)
            for i in range(t * TEAM_SIZE, min(count, (t + 1) * TEAM_SIZE)):
                user = self._user(f"bench_assess_{i:04d}", agent, first_name=f"Staff{i:04d}")
                StaffProfile.objects.update_or_create(user=user, defaults={"team": team})
                people.append(user)
        return people, sups, heads, manager

    def _assignments(self, people, heads, manager):
        from assessment.models import EvaluatorAssignment, EvaluatorKind

        kinds = {k.code: k for k in EvaluatorKind.objects.all()}
        have = set(EvaluatorAssignment.objects.filter(person__in=people).values_list("person_id", "evaluator_id", "kind_id"))
        rows = []
        for i, p in enumerate(people):
            wanted = [(heads["marketing"], "marketing"), (heads["production"], "production"),
                      (people[(i + 1) % len(people)], "peer"), (people[(i + 2) % len(people)], "peer")]
            for evaluator, code in wanted:
                if evaluator.pk != p.pk and (p.pk, evaluator.pk, kinds[code].pk) not in have:
                    rows.append(EvaluatorAssignment(person=p, evaluator=evaluator, kind=kinds[code], created_by=manager))
        EvaluatorAssignment.objects.bulk_create(rows, batch_size=2000)

    def _fill(self, cycle):
        """Every form filled (bulk: the bench measures the month's pages, not 2,000 form posts)."""
        from assessment.models import EvaluationTask

        answers = {str(item["id"]): min(int(item["max"]), 4) for item in cycle.snapshot["items"]}
        EvaluationTask.objects.filter(cycle=cycle).update(
            answers=answers, total=sum(answers.values()), submitted_by=F("evaluator"), submitted_at=timezone.now())

    def _tickets(self, n, people, batch):
        from customers.models import Customer
        from tickets.models import Complaint, Ticket, TicketCounter

        counter, _c = TicketCounter.objects.get_or_create(kind=Ticket.Kind.COMPLAINT, year=YEAR)
        other, _c = TicketCounter.objects.get_or_create(kind=Ticket.Kind.REPAIR, year=YEAR)
        have = counter.last + other.last
        if have >= n:
            return 0
        customers = list(Customer.objects.filter(notes=NOTE).values_list("pk", flat=True)[:5000])
        if len(customers) < 5000:
            Customer.objects.bulk_create([Customer(name=f"考核客户{i:05d}", notes=NOTE) for i in range(len(customers), 5000)])
            customers = list(Customer.objects.filter(notes=NOTE).values_list("pk", flat=True)[:5000])
        creator = people[0]
        now = timezone.now()
        span = timedelta(days=365)
        fields = [Ticket._meta.get_field("created_at"), Ticket._meta.get_field("updated_at")]
        fields[0].auto_now_add, fields[1].auto_now = False, False
        try:
            for start in range(have, n, batch):
                stop = min(n, start + batch)
                rng = random.Random(start)
                tickets, against = [], []
                for i in range(start, stop):
                    complaint = i % 10 == 0
                    c = counter if complaint else other
                    c.last += 1
                    created = now - span + span * ((i + 1) / (n + 1))
                    prefix = Ticket.NUMBER_PREFIX[Ticket.Kind.COMPLAINT if complaint else Ticket.Kind.REPAIR]
                    tickets.append(Ticket(
                        number=f"{prefix}-{YEAR}-{c.last:07d}", kind=Ticket.Kind.COMPLAINT if complaint else Ticket.Kind.REPAIR,
                        status="closed", priority=2, channel="phone", customer_id=rng.choice(customers),
                        subject="考核基准", assignee=people[rng.randrange(len(people))], created_by=creator,
                        created_at=created, updated_at=created, resolved_at=created + timedelta(days=1),
                        closed_at=created + timedelta(days=2)))
                    against.append((people[rng.randrange(len(people))].pk, rng.random() < 1 / 3) if complaint else None)
                with transaction.atomic():
                    made = Ticket.objects.bulk_create(tickets, batch_size=batch)
                    Complaint.objects.bulk_create([
                        Complaint(ticket_id=t.pk, staff_member_id=a[0], staff_complaint_valid=a[1])
                        for t, a in zip(made, against) if a is not None], batch_size=batch)
                    counter.save(update_fields=["last"])
                    other.save(update_fields=["last"])
                self.stderr.write(f"  tickets {stop:,}/{n:,}")
        finally:
            fields[0].auto_now_add, fields[1].auto_now = True, True
        return n - have

    def _counts(self):
        from tickets.models import Complaint, Ticket

        return Ticket.objects.count(), Complaint.objects.count()
