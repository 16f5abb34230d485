"""Lists never cut silently: the desk's "Logged by me today" shows the latest 10 and says how many there are."""
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
import time_machine
from django.urls import reverse

from customers.models import Channel
from customers.services import contact_log

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 20, 7, 0, tzinfo=dt_timezone.utc)  # 15:00 in Shanghai


def log_walk_ins(user, count):
    for i in range(count):
        contact_log(handled_by=user, channel=Channel.WALK_IN, caller_name=f"Caller {i:02d}",
                    started_at=NOW - timedelta(minutes=count - i))


@pytest.mark.parametrize("count, sentence", [
    (10, None),
    (12, "The latest 10 of the 12 contacts you logged today."),
])
def test_desk_log_says_when_it_shows_only_the_latest(client_for, personas, count, sentence):
    log_walk_ins(personas.frontdesk, count)
    with time_machine.travel(NOW, tick=False):
        page = client_for("frontdesk").get(reverse("customers:desk")).content.decode()
    log = page.split('id="recent-contacts"', 1)[1]
    assert log.count("Caller ") == 10 and f"Caller {count - 1:02d}" in log  # the newest first
    if sentence is None:
        assert 'id="recent-contacts-more"' not in page
    else:
        assert sentence in page


def test_desk_log_sentence_in_chinese(client_for, personas):
    log_walk_ins(personas.frontdesk, 11)
    client = client_for("frontdesk")
    client.cookies["django_language"] = "zh-hans"
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("customers:desk")).content.decode()
    assert "显示您今天登记的 11 条接待中最新的 10 条。" in page
