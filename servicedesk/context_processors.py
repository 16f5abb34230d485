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
