"""servicedesk.timetext gives Django's timesince / timeuntil text for the same moments (issue 14: the
ticket list's relative times, memoised per language)."""
import random
from datetime import datetime, timedelta, timezone as dt_timezone
from zoneinfo import ZoneInfo

import pytest
from django.utils import timesince as django
from django.utils import translation

from servicedesk import timetext


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_same_text_as_django_for_many_moments(language):
    rng = random.Random(14)
    now = datetime(2026, 3, 31, 23, 59, 30, tzinfo=dt_timezone.utc)
    spans = [0, 1, 59, 60, 61, 3599, 3600, 86399, 86400, 7 * 86400, 30 * 86400, 365 * 86400, 400 * 86400]
    spans += [rng.randint(0, 3 * 365 * 86400) for _ in range(400)]
    shanghai = ZoneInfo("Asia/Shanghai")
    with translation.override(language):
        for seconds in spans:
            for d in (now - timedelta(seconds=seconds), (now - timedelta(seconds=seconds)).astimezone(shanghai)):
                assert timetext.timesince(d, now) == django.timesince(d, now)
                assert timetext.timeuntil(now + (now - d), now) == django.timeuntil(now + (now - d), now)
                assert timetext.timesince(d, now, depth=1) == django.timesince(d, now, depth=1)
        # the future and the same minute: "0 minutes", as Django says it
        assert timetext.timesince(now + timedelta(hours=1), now) == django.timesince(now + timedelta(hours=1), now)
        assert timetext.timesince(now, now) == django.timesince(now, now)


def test_words_follow_the_active_language():
    now = datetime(2026, 11, 30, 12, 0, tzinfo=dt_timezone.utc)
    d = now - timedelta(days=9, hours=5)
    with translation.override("en"):
        english = timetext.timesince(d, now)
    with translation.override("zh-hans"):
        chinese = timetext.timesince(d, now)
    assert english == "1\xa0week, 2\xa0days"
    assert chinese != english  # a memoised text is never served in the other language
    with translation.override("zh-hans"):
        assert chinese == django.timesince(d, now)
