"""Django's ModelBackend, with a user's permissions — and the names of their groups — read in one
query instead of three.

Every signed-in request checks permissions (the views' perm_required, the layout's menu) and the
layout names the person's role (their groups); the ticket page's htmx panels are requests of their
own. ModelBackend's separate reads of the user's own and their groups' permissions, plus the role's
read of the groups, cost two extra queries on each. Same answers, same per-request cache
(user._perm_cache), one UNION; the group names go to user._group_names_cache, which
servicedesk.roles.user_roles reads when it is there.
"""
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db.models import CharField, Value

from servicedesk.compiled import compiled_one, compiled_rows

GROUP_ROW = "#group"  # the first column of a group-name row; no app label starts with "#"


def _union(user_id, superuser: bool):
    fields = ("content_type__app_label", "codename")
    groups = Group.objects.filter(user=user_id).annotate(
        row=Value(GROUP_ROW, output_field=CharField())).values_list("row", "name").order_by()
    if superuser:
        return Permission.objects.values_list(*fields).order_by().union(groups, all=True)
    own = Permission.objects.filter(user=user_id).values_list(*fields).order_by()
    return own.union(Permission.objects.filter(group__user=user_id).values_list(*fields).order_by(), groups)


def _rows(user_obj) -> list[tuple[str, str]]:
    """The UNION's rows. Its SQL is compiled by the ORM once per process and database (building it took
    ~0.7 ms, on every request): servicedesk.compiled puts the user's id where the stand-in stood."""
    superuser = bool(user_obj.is_superuser)
    return compiled_rows(f"accounts.permissions.{superuser}", Permission,
                         lambda user_id: _union(user_id, superuser), value=user_obj.pk)


def _user(user_id):
    from django.contrib.auth import get_user_model

    return get_user_model()._default_manager.filter(pk=user_id)


class OneQueryModelBackend(ModelBackend):
    def get_user(self, user_id):
        """ModelBackend.get_user — the signed-in person, read on every request — with its SQL compiled once
        per process (servicedesk.compiled)."""
        from django.contrib.auth import get_user_model
        from django.core.exceptions import ValidationError

        try:
            pk = get_user_model()._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        user = compiled_one("accounts.user", _user, pk)
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            perms, names = set(), set()
            for ct, name in _rows(user_obj):
                if ct == GROUP_ROW:
                    names.add(name)
                else:
                    perms.add(f"{ct}.{name}")
            user_obj._perm_cache, user_obj._group_names_cache = perms, names
        return user_obj._perm_cache
