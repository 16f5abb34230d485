from django import template
from django.utils import timezone

from .. import selectors

register = template.Library()


@register.simple_tag
def overdue_callbacks(team=None):
    """One COUNT query: pending callbacks past due (optionally for one team)."""
    return selectors.overdue_callbacks_count(team=team or None, now=timezone.now())
