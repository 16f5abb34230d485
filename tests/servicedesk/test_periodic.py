"""One run per scheduled slot: the second beat's message for the same slot does nothing."""
from datetime import datetime, timedelta, timezone

import pytest

from servicedesk.models import PeriodicJob
from servicedesk.periodic import periodic_job_claim, slot_of

T0 = datetime(2026, 11, 20, 2, 0, 10, tzinfo=timezone.utc)


@pytest.mark.django_db
def test_a_slot_is_claimed_once():
    assert periodic_job_claim(name="sla-sweep", every_seconds=60, now=T0)
    assert not periodic_job_claim(name="sla-sweep", every_seconds=60, now=T0 + timedelta(seconds=40))
    assert periodic_job_claim(name="sla-sweep", every_seconds=60, now=T0 + timedelta(seconds=55))  # next minute
    job = PeriodicJob.objects.get(name="sla-sweep")
    assert (job.runs, job.skipped, job.last_slot) == (2, 1, slot_of(now=T0 + timedelta(minutes=1), every_seconds=60))
    # a late message for an older slot (a catch-up burst) does not run it again
    assert not periodic_job_claim(name="sla-sweep", every_seconds=60, now=T0)


@pytest.mark.django_db
def test_the_beat_wrapper_runs_the_entry_task_once_per_slot(settings):
    import time_machine

    from servicedesk.tasks import periodic_job_run

    with time_machine.travel(T0, tick=False):
        assert periodic_job_run("outbox-sweep") == {"claimed": 0, "sent": 0, "failed": 0, "gave_up": 0}
        assert periodic_job_run("outbox-sweep") == "skipped"
    job = PeriodicJob.objects.get(name="outbox-sweep")
    assert job.last_finished_at == T0
