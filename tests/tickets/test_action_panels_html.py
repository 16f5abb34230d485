"""The ticket page's closed action panels come from a per-process memo with the ticket's id filled in
(issue 14); they must be the include loop's markup for every ticket, panel set and language."""
import pytest
from django.template import Context, Template
from django.utils import translation

from tickets.views import ACTION_META, PANEL_ORDER

REFERENCE = Template('{% for name, title, icon, button in panels %}{% include "tickets/_action_form.html" %}{% endfor %}')
MEMO = Template("{% load tickets_tags %}{% action_panels panels %}")


class _Ticket:
    def __init__(self, pk):
        self.pk = pk


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_panels_equal_the_include_loop_for_each_ticket(language):
    panels = [(name, *ACTION_META[name]) for name in PANEL_ORDER]
    with translation.override(language):
        for pk, chosen in ((48, panels), (1234567, panels[2:5]), (48, panels[::3])):
            ctx = {"panels": chosen, "ticket": _Ticket(pk), "bound_name": ""}
            expected = REFERENCE.render(Context(ctx))
            assert MEMO.render(Context(ctx)) == expected
            assert expected.count('class="accordion-item"') == len(chosen)
            assert f"/tickets/{pk}/" in expected and "987654321" not in expected
