from django.conf import settings
from django.utils.translation import gettext as _

from .roles import ROLE_LABELS, primary_role


def navigation(request):
    """What the layout needs on every page: the user's role and unread notification count (1 query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    role = primary_role(user)
    return {
        "nav_role": role,
        "nav_role_label": ROLE_LABELS.get(role, ""),
        "nav_unread_count": user.notifications.filter(read_at__isnull=True).count,
    }


def public_service(request):
    """The public face of the department (SERVICE_PUBLIC_NAME, SERVICE_PHONE) for customer-facing pages."""
    from customers.phones import phone_display

    return {
        "service_public_name": settings.SERVICE_PUBLIC_NAME or _("Customer service"),
        "service_phone": phone_display(settings.SERVICE_PHONE),
    }
