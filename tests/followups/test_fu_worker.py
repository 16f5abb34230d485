"""Celery's part with real parts: the survey link (an outbox message) is queued on commit to Redis, a
real worker sends it, the SMS gateway times out once, and the outbox sweep delivers it after the back-off."""
import time

import pytest

from tests.conftest import wait_for

from .fu_helpers import FlakyBackend, at





@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_real_worker_sends_the_link_after_commit_and_retries_a_failure(real_worker, settings, make_ticket):
    settings.SURVEY_DELIVERY_BACKEND = "tests.followups.fu_helpers.FlakyBackend"
    settings.OUTBOX_BACKOFF_BASE_SECONDS = 1
    FlakyBackend.calls = []
    FlakyBackend.fail_times = 1
    # when the agent resolves the ticket (the task is queued only after the commit)
    ticket = make_ticket(resolve_at=at(2026, 11, 20, 15))
    invitation = ticket.survey_invitations.get()

    def sent():
        invitation.refresh_from_db()
        return invitation.delivery_status == "sent"

    def failed_once():
        invitation.refresh_from_db()
        return invitation.delivery_attempts == 1 and invitation.delivery_error != ""

    # then the worker's first try fails and is recorded; after the back-off the outbox sweep sends it once
    assert wait_for(failed_once)
    time.sleep(1.1)
    from servicedesk.tasks import outbox_sweep_task

    outbox_sweep_task.delay()
    assert wait_for(sent)
    assert invitation.delivery_attempts == 2 and len(FlakyBackend.calls) == 2
    outbox_sweep_task.delay()
    time.sleep(1.5)
    assert len(FlakyBackend.calls) == 2
