"""The department's roles (domain.md §1) as Django groups with permissions.

A role is a group; what a role may do is the list of permissions below. Views check permissions,
never group names, so a manager can grant one permission to one person in the admin.
Customers have no account: they reach their survey or ticket status through signed links.
"""
from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext_lazy as _

FRONT_DESK = "frontdesk"
AGENT = "agent"
SUPERVISOR = "supervisor"
TECHNICIAN = "technician"
MANAGER = "manager"

ROLE_LABELS = {
    FRONT_DESK: _("Front desk"),
    AGENT: _("Service agent"),
    SUPERVISOR: _("Supervisor"),
    TECHNICIAN: _("Field technician"),
    MANAGER: _("Manager"),
}
# Highest first: a person in several groups lands on the home page of the highest one.
ROLE_ORDER = [MANAGER, SUPERVISOR, AGENT, FRONT_DESK, TECHNICIAN]

_CUSTOMER_DESK = [
    "customers.view_customer",
    "customers.add_customer",
    "customers.change_customer",
    "customers.view_asset",
    "customers.add_asset",
    "customers.change_asset",
    "customers.view_contact",
    "customers.add_contact",
    "customers.change_contact",
]
_SUPERVISION = [
    "customers.merge_customer",
    "customers.change_ownership",
    "customers.export_customer",
    "customers.view_intake_stats",
]

# Other areas extend these lists (tickets, dispatch, knowledge, ...) with their own permissions.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    FRONT_DESK: [*_CUSTOMER_DESK, "customers.view_intake_stats"],
    AGENT: [*_CUSTOMER_DESK],
    SUPERVISOR: [*_CUSTOMER_DESK, *_SUPERVISION],
    TECHNICIAN: [],
    MANAGER: [*_CUSTOMER_DESK, *_SUPERVISION],
}


def extend_role(role: str, perms: list[str]) -> None:
    """Let an app add its permissions to a role at import time (called from AppConfig.ready)."""
    for perm in perms:
        if perm not in ROLE_PERMISSIONS[role]:
            ROLE_PERMISSIONS[role].append(perm)


def sync_roles() -> None:
    """Create the groups and set exactly the permissions listed above. Idempotent."""
    for role, perm_names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        perms = []
        for name in perm_names:
            app_label, codename = name.split(".", 1)
            perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if perm is not None:  # not there yet during a partial migrate; the next sync adds it
                perms.append(perm)
        group.permissions.set(perms)


def sync_roles_after_migrate(sender, **kwargs) -> None:
    # post_migrate is sent once per app, in INSTALLED_APPS order, and each app's permissions are
    # created by its own send: only after the last app are they all there.
    from django.apps import apps

    with_models = [c for c in apps.get_app_configs() if c.models_module is not None]
    if sender.label == with_models[-1].label:
        sync_roles()


def user_roles(user) -> list[str]:
    if not user.is_authenticated:
        return []
    # The permission backend reads the group names with the permissions (accounts/backends.py); with
    # the permissions not yet read, reading both now costs the one query the groups alone would.
    if not hasattr(user, "_group_names_cache"):
        user.get_all_permissions()
    names = getattr(user, "_group_names_cache", None)
    if names is None:  # another backend answered the permissions
        names = {g.name for g in user.groups.all()}
    roles = [r for r in ROLE_ORDER if r in names]
    if user.is_superuser and MANAGER not in roles:
        roles.insert(0, MANAGER)
    return roles


def primary_role(user) -> str | None:
    roles = user_roles(user)
    return roles[0] if roles else None
