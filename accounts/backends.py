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

GROUP_ROW = "#group"  # the first column of a group-name row; no app label starts with "#"


class OneQueryModelBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            fields = ("content_type__app_label", "codename")
            groups = Group.objects.filter(user=user_obj).annotate(
                row=Value(GROUP_ROW, output_field=CharField())).values_list("row", "name").order_by()
            if user_obj.is_superuser:
                rows = Permission.objects.values_list(*fields).order_by().union(groups, all=True)
            else:
                own = Permission.objects.filter(user=user_obj).values_list(*fields).order_by()
                rows = own.union(Permission.objects.filter(group__user=user_obj).values_list(*fields).order_by(),
                                 groups)
            perms, names = set(), set()
            for ct, name in rows:
                if ct == GROUP_ROW:
                    names.add(name)
                else:
                    perms.add(f"{ct}.{name}")
            user_obj._perm_cache, user_obj._group_names_cache = perms, names
        return user_obj._perm_cache
