from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def call_duration(seconds) -> str:
    """192 → "3 min 12 s"; 45 → "45 s"; None → ""."""
    if seconds is None or seconds == "":
        return ""
    minutes, rest = divmod(int(seconds), 60)
    if minutes:
        return _("%(minutes)d min %(seconds)d s") % {"minutes": minutes, "seconds": rest}
    return _("%(seconds)d s") % {"seconds": rest}
