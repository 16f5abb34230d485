import functools

from django.conf import settings
from django.utils.translation import gettext as _

from .roles import ROLE_LABELS, primary_role
from .selectors import bell_unread_count


def navigation(request):
    """What the layout needs on every page: the user's role and unread notification count.

    Both lazy (the template calls them): an htmx fragment rendered with render(request, …) does not
    show the layout, so it should not pay for the role's or the bell's query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    role = functools.cache(lambda: primary_role(user))  # asked up to twice per page, read once
    return {
        "nav_role": role,
        "nav_role_label": lambda: ROLE_LABELS.get(role(), ""),
        # Lazy: one query, only when the layout renders the bell. Counts bell lines (one per ticket).
        "nav_unread_count": lambda: bell_unread_count(user),
    }


def public_service(request):
    """The public face of the department (SERVICE_PUBLIC_NAME, SERVICE_PHONE) for customer-facing pages."""
    from customers.phones import phone_display

    def name():
        # A manager's public name (portal: Public pages) wins over the SERVICE_PUBLIC_NAME default. Lazy:
        # only public pages print it, so staff pages read nothing.
        from django.utils.translation import get_language

        from portal.models import PortalSettings
        from portal.selectors import public_name

        return public_name(PortalSettings.current(), get_language() or "zh-hans")

    def phone():
        from portal.models import PortalSettings

        hotline = PortalSettings.current().hotline
        return hotline or phone_display(settings.SERVICE_PHONE)

    return {"service_public_name": name, "service_phone": phone}
