"""Django's ModelBackend, with a user's permissions read in one query instead of two.

Every signed-in request checks permissions (the views' perm_required, the layout's menu), and the
ticket page's htmx panels are requests of their own: ModelBackend's separate reads of the user's
own and their groups' permissions cost one extra query on each. Same answers, same per-request
cache (user._perm_cache), one UNION.
"""
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission


class OneQueryModelBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            fields = ("content_type__app_label", "codename")
            if user_obj.is_superuser:
                rows = Permission.objects.values_list(*fields).order_by()
            else:
                own = Permission.objects.filter(user=user_obj).values_list(*fields).order_by()
                rows = own.union(Permission.objects.filter(group__user=user_obj).values_list(*fields).order_by())
            user_obj._perm_cache = {f"{ct}.{name}" for ct, name in rows}
        return user_obj._perm_cache
