"""servicedesk.fasthtml gives exactly Django's format_html / format_html_join output."""
from datetime import date
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy, override

from servicedesk.fasthtml import fmt, fmt_join

VALUES = ['<b>"王芳" & \'co\'</b>', mark_safe("<i>kept</i>"), 42, 0, None, 3.5, Decimal("1.10"), date(2026, 12, 1),
          gettext_lazy("Unassigned"), "", "plain"]


def test_same_output_as_django_for_every_kind_of_value():
    with override("zh-hans"):
        for value in VALUES:
            assert fmt("<td title='{}'>{}</td>", value, value) == format_html("<td title='{}'>{}</td>", value, value)
            assert fmt("<a href='{url}'>{x}</a>", url=value, x=value) == format_html("<a href='{url}'>{x}</a>",
                                                                                  url=value, x=value)
        rows = [(v, v) for v in VALUES]
        assert fmt_join("\n", "<option value='{}'>{}</option>", rows) == format_html_join(
            "\n", "<option value='{}'>{}</option>", rows)
    assert isinstance(fmt("{}", "x"), SafeString) and isinstance(fmt_join("", "{}", [("x",)]), SafeString)
    assert fmt("{}", "<script>") == "&lt;script&gt;"
