"""Issue 12 §3: two beats and two workers (real processes over Redis) for a time-scaled schedule —
every periodic job runs once per slot, and each of its effects happens once."""
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from servicedesk.models import Notification, OutboxMessage, PeriodicJob, Team
from tests.outbox_transport import read_log

from . import procs
from .test_outbox_faults import _sla_defaults, purge, redis_url, transport_log  # noqa: F401 — fixtures

SCALE = 1 / 30  # a minute of schedule lasts 2 s: the 20 s run covers 10 minutes of beat ticks
RUN_SECONDS = 20


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_beats_two_workers_each_periodic_effect_once(transport_log, purge, redis_url, personas,  # noqa: F811
                                                         customer_factory, tmp_path):
    from sla.models import SLAEscalation
    from tickets.services import ticket_create

    # given ten overdue tickets (one breach each to escalate)
    for user in (personas.agent, personas.supervisor, personas.manager):
        user.email = f"{user.username}@example.com"
        user.save()
    team = Team.objects.create(name="Repairs", supervisor=personas.supervisor)
    customer = customer_factory()
    long_ago = timezone.now() - timedelta(hours=30)
    for i in range(10):
        ticket_create(customer=customer, kind="repair", subject=f"Leak {i}", created_by=personas.frontdesk,
                      channel="phone", priority=2, team=team, assignee=personas.agent, now=long_ago)
    # when two beats and two workers run side by side
    env = procs.process_env(broker=redis_url, log=transport_log, SERVICEDESK_BEAT_SCALE=SCALE)
    started = time.monotonic()
    running = []
    try:
        for i in (1, 2):
            running.append(procs.start_worker(env, open(tmp_path / f"worker{i}.log", "wb"), f"w{i}"))
        for i in (1, 2):
            running.append(procs.start(["beat", "-s", str(tmp_path / f"beat{i}-schedule"), "--loglevel=WARNING"],
                                       env, open(tmp_path / f"beat{i}.log", "wb")))
        time.sleep(RUN_SECONDS)
    finally:
        for proc in running[2:]:
            procs.stop(proc)  # beats first, then let the workers finish what was queued
        time.sleep(3)
        for proc in running[:2]:
            procs.stop(proc)
    elapsed = time.monotonic() - started
    logs = "\n".join((tmp_path / name).read_text()[-1500:] for name in ("worker1.log", "beat1.log"))
    # then every job ran at most once per slot, and the second beat's duplicates were skipped
    jobs = {j.name: j for j in PeriodicJob.objects.all()}
    minute = 60 * SCALE
    assert jobs["sla-sweep"].runs >= 3, (jobs, logs)
    assert jobs["sla-sweep"].runs <= elapsed / minute + 2
    assert jobs["outbox-sweep"].runs <= elapsed / minute + 2
    reminders = jobs.get("followups-callback-reminders")  # every 10 s here: may not be due yet on a slow box
    assert reminders is None or reminders.runs <= elapsed / (5 * minute) + 2
    print({name: (j.runs, j.skipped) for name, j in jobs.items()}, f"elapsed {elapsed:.1f} s")
    assert sum(j.skipped for j in jobs.values()) >= 1  # proof that both beats were sending
    # and each effect happened once: one breach escalation and one supervisor notification per ticket,
    assert SLAEscalation.objects.filter(level="breach").count() == 10
    assert Notification.objects.filter(recipient=personas.supervisor).count() == 10
    # and every e-mail delivered once (counted across the worker processes)
    sent = Counter(r["key"] for r in read_log(transport_log))
    rows = list(OutboxMessage.objects.all())
    assert rows and all(r.status == "sent" for r in rows), Counter(r.status for r in rows)
    assert set(sent) == {r.idempotency_key for r in rows} and set(sent.values()) == {1}
