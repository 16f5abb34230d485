"""The ticket page's escalation history, written in Python (issue 14), gives the markup of the template
loop it replaced, in both languages and across a day boundary of the department's time zone."""
import re
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.template import Context, Template
from django.utils import translation

from sla.models import SLAEscalation
from sla.templatetags.sla_tags import escalation_history

REFERENCE = Template("""{% load i18n %}{% if history %}
      <ol class="list-unstyled small mb-0 mt-1 ps-2 border-start">
        {% for e in history %}
        <li><i class="bi {% if e.level == 'warning' %}bi-exclamation-triangle text-warning{% elif e.level == 'breach' %}bi-fire text-danger{% else %}bi-megaphone text-danger{% endif %}"></i>
          {{ e.get_level_display }} · {{ e.scheduled_for|date:"Y-m-d H:i" }}{% if e.fired_at|date:"YmdHi" != e.scheduled_for|date:"YmdHi" %} <span class="text-body-secondary">({% blocktranslate with at=e.fired_at|date:"m-d H:i" %}sent {{ at }}{% endblocktranslate %})</span>{% endif %}</li>
        {% endfor %}
      </ol>
      {% endif %}""")


def _norm(html) -> str:
    return re.sub(r"\s+", " ", str(html)).strip()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_history_markup_equals_the_template_loop(language):
    due = datetime(2026, 11, 30, 15, 59, 30, tzinfo=dt_timezone.utc)  # 23:59 in Shanghai: the next day is near
    history = [
        SLAEscalation(level="warning", scheduled_for=due - timedelta(hours=2), fired_at=due - timedelta(hours=2, seconds=-20)),
        SLAEscalation(level="breach", scheduled_for=due, fired_at=due + timedelta(minutes=3)),  # sent late: next day
        SLAEscalation(level="level2", scheduled_for=due + timedelta(days=1), fired_at=due + timedelta(days=1, seconds=10)),
    ]
    with translation.override(language):
        expected = _norm(REFERENCE.render(Context({"history": history})))
        assert _norm(escalation_history(history)) == expected
        assert _norm(escalation_history([])) == _norm(REFERENCE.render(Context({"history": []}))) == ""
    assert "12-01 00:02" in expected  # the late one names its local minute (the next day in Shanghai)
    assert expected.count("<li>") == 3
