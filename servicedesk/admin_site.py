"""The admin site every model registers on: Django's, with changelists that refuse impossible filters.

Django's changelist turns a bad lookup into "?e=1" (IncorrectLookupParameters) only for the errors it
expects; a year past 9999 in the date drill-down (`?created_at__year=10**21`), a date the time zone
cannot shift (`?created_at__gte=0001-01-01`: 00:00 in Shanghai is the year 0 in UTC) or an id past
64 bits on SQLite raise OverflowError instead — a 500 (issue 13). Here those count as what they are,
an incorrect lookup: the admin answers its own "invalid filter" redirect, whatever the model admin.
The same for a change, history or delete page whose id is past 64 bits: "no such object", as
for any other id that matches nothing. Registration wraps each ModelAdmin class (ours and third parties') so no admin can forget it.
"""
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList

# Raised while Python builds or binds a filter's value, before anything reaches the database (so
# catching them leaves the request's transaction usable).
BAD_LOOKUP_ERRORS = (OverflowError, ValueError)


class SafeChangeList(ChangeList):
    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except BAD_LOOKUP_ERRORS as e:
            raise IncorrectLookupParameters(e) from e

    def get_queryset(self, request, exclude_parameters=None):
        try:
            return super().get_queryset(request, exclude_parameters)
        except BAD_LOOKUP_ERRORS as e:
            raise IncorrectLookupParameters(e) from e

    def get_results(self, request):
        try:
            return super().get_results(request)
        except BAD_LOOKUP_ERRORS as e:
            raise IncorrectLookupParameters(e) from e


class SafeLookupsMixin:
    def get_object(self, request, object_id, from_field=None):
        """A 22-digit id in a change/history/delete URL is an object that does not exist (SQLite cannot
        even bind it: OverflowError; Django's admin catches only ValueError and ValidationError)."""
        try:
            return super().get_object(request, object_id, from_field)
        except OverflowError:
            return None

    def get_changelist(self, request, **kwargs):
        changelist = super().get_changelist(request, **kwargs)
        if issubclass(changelist, SafeChangeList):
            return changelist
        return type(f"Safe{changelist.__name__}", (SafeChangeList, changelist), {})


class ServiceDeskAdminSite(admin.AdminSite):
    site_header = "ServiceDesk"

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, SafeLookupsMixin):
            admin_class = type(admin_class.__name__, (SafeLookupsMixin, admin_class),
                               {"__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__})
        return super().register(model_or_iterable, admin_class, **options)
