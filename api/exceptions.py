"""Every API error is JSON: {"error": {"code", "message", "fields"}} in the caller's language (Accept-Language).

Django ValidationErrors raised by the services (the same ones the pages show) become 400 with their
messages; a duplicate phone or a stale version becomes 409.
"""
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from customers.services import DuplicatePhone
from tickets.services import StaleTicket

CONFLICTS = (DuplicatePhone, StaleTicket)


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"

    def __init__(self, limit: int):
        super().__init__(_("The request body is larger than %(limit)s bytes.") % {"limit": limit})


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def _flatten(detail) -> list[str]:
    if isinstance(detail, dict):
        return [m for value in detail.values() for m in _flatten(value)]
    if isinstance(detail, (list, tuple)):
        return [m for item in detail for m in _flatten(item)]
    return [str(detail)]


def _first_code(detail, default: str) -> str:
    if isinstance(detail, dict):
        for value in detail.values():
            return _first_code(value, default)
    if isinstance(detail, (list, tuple)) and detail:
        return _first_code(detail[0], default)
    return getattr(detail, "code", None) or default


def error_body(*, code: str, message: str, fields: dict | None = None, **extra) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}, **extra}}


def _from_django_validation(exc: DjangoValidationError) -> Response:
    extra = {}
    if hasattr(exc, "error_dict"):
        fields = {("non_field_errors" if name == "__all__" else name): [str(m) for e in errors for m in e.messages]
                  for name, errors in exc.error_dict.items()}
        codes = [e.code for errors in exc.error_dict.values() for e in errors if e.code]
        message = next(iter(_flatten(fields)), _("Invalid input."))
        code = codes[0] if codes else "invalid"
    else:
        fields = {}
        messages = exc.messages
        message = " ".join(messages) or _("Invalid input.")
        code = getattr(exc, "code", None) or next((e.code for e in exc.error_list if e.code), None) or "invalid"
    status_code = 400
    if isinstance(exc, CONFLICTS):
        status_code = 409
        if isinstance(exc, DuplicatePhone):
            extra["existing_customer"] = exc.existing.pk
            fields = {"phones": [message]}
    return Response(error_body(code=code, message=message, fields=fields, **extra), status=status_code)


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        return _from_django_validation(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a real bug: Django's 500 (and its log)

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait) + 1)
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        fields = {name: _flatten(value) for name, value in detail.items()}
        message = next(iter(_flatten(fields)), _("Invalid input."))
        body = error_body(code=_first_code(detail, "invalid"), message=message, fields=fields)
    elif isinstance(exc, exceptions.Throttled):
        body = error_body(code="rate_limited", message=_("Too many requests for this token; try again in %(seconds)s "
                                                         "seconds.") % {"seconds": headers.get("Retry-After", "60")})
    else:
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        if isinstance(exc, exceptions.NotAuthenticated):
            code = "not_authenticated"
        body = error_body(code=code, message=" ".join(_flatten(exc.detail)))
    return Response(body, status=exc.status_code, headers=headers)


def not_found(request, *args, **kwargs):
    """Unknown paths under /api/: JSON, not the HTML 404 page."""
    return JsonResponse(error_body(code="not_found", message=_("Not found.")), status=404)


def bad_request(request, exception=None):
    """Django's handler400 for API paths: a NUL byte or too many parameters (caught before any view)."""
    from django.core.exceptions import RequestDataTooBig

    if isinstance(exception, RequestDataTooBig):
        from django.conf import settings

        return JsonResponse(error_body(code="too_large", message=_("The request body is larger than %(limit)s bytes.")
                                       % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}), status=413)
    return JsonResponse(error_body(code="bad_request", message=_("The request could not be read.")), status=400)
