"""A real Celery worker over Redis runs the weekly review reminder; a duplicate beat tick sends nothing twice."""
from datetime import date

import pytest

from tests.conftest import wait_for

from knowledge.models import ReviewReminder
from servicedesk.models import Notification




@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_worker_sends_weekly_reminder_once(real_worker, make_article, personas):
    from knowledge.tasks import review_reminders_send

    # given two overdue articles of one owner
    make_article(title="Old A", review_by=date(2020, 1, 1), owner=personas.agent)
    make_article(title="Old B", review_by=date(2020, 1, 1), owner=personas.agent)
    # when beat's tick is delivered twice (a restart, a duplicate schedule)
    review_reminders_send.delay()
    review_reminders_send.delay()
    # and a third tick after a new overdue article of another owner (the solo worker runs them in order)
    assert wait_for(lambda: ReviewReminder.objects.count() == 2)
    make_article(title="Old C", review_by=date(2020, 1, 1), owner=personas.supervisor)
    review_reminders_send.delay()
    assert wait_for(lambda: ReviewReminder.objects.count() == 3)
    # then each owner got exactly one notification for the week
    assert Notification.objects.filter(recipient=personas.agent).count() == 1
    assert Notification.objects.filter(recipient=personas.supervisor).count() == 1
