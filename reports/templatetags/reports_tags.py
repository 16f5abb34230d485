from django import template
from django.utils.formats import localize

register = template.Library()


@register.filter
def figure(value, suffix=""):
    """A figure, or "—" when there is nothing to compute it from (an empty period)."""
    if value is None or value == "":
        return "—"
    return f"{localize(value)}{suffix}"


@register.inclusion_tag("reports/_change.html")
def change_badge(fig, lower_is_better=False):
    """▲/▼ with % against the previous period; green when it moved the right way."""
    ch = (fig or {}).get("change")
    good = None
    if ch and ch["direction"] != "flat":
        good = (ch["direction"] == "down") == bool(lower_is_better)
    return {"change": ch, "good": good, "previous": (fig or {}).get("previous")}


@register.filter
def figure_label(name):
    from reports.selectors import FIGURE_LABELS

    return FIGURE_LABELS.get(name, name)


@register.filter
def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)
