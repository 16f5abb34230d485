"""`Authorization: Bearer <token>`: the token's system account becomes request.user, the token request.auth."""
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .selectors import token_for_secret
from .services import token_touch


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None  # no credentials: the permission check answers 401 "not authenticated"
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("The Authorization header must be “Bearer <token>”."),
                                                  code="invalid_token")
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."), code="invalid_token")
        token = token_for_secret(secret)
        if token is None or token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."), code="invalid_token")
        request._api_token_id = token.pk  # for the call log, whatever happens next
        token_touch(token=token, now=timezone.now())
        return token.acting_user, token

    def authenticate_header(self, request):
        return self.keyword  # makes DRF answer 401 (not 403) when credentials are missing or wrong


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An API token created by a manager (sd_…)."}
