"""Each view names the scope each HTTP method needs (`required_scopes`); the token must hold it."""
from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions

from .models import ApiToken


class HasScope(permissions.BasePermission):
    def has_permission(self, request, view):
        token = request.auth
        if not isinstance(token, ApiToken):
            raise exceptions.NotAuthenticated()
        needed = view.required_scopes.get(request.method)
        if needed is None and request.method in ("HEAD", "OPTIONS"):
            needed = view.required_scopes.get("GET")
        if needed is None:
            return True  # a method the view does not have: DRF answers 405
        if not token.has_scope(needed):
            raise exceptions.PermissionDenied(_("This token does not have the scope “%(scope)s”.") % {"scope": needed},
                                              code="missing_scope")
        return True
