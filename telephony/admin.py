from django.contrib import admin

from .models import Call


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ["rang_at", "caller_e164", "caller_raw", "extension", "user", "customer", "duration_seconds", "contact"]
    list_filter = [("contact", admin.EmptyFieldListFilter), "rang_at"]
    search_fields = ["call_id", "caller_e164", "caller_raw", "extension"]
    list_select_related = ["user", "customer", "contact"]
    raw_id_fields = ["customer", "user", "contact"]
    date_hierarchy = "rang_at"

    def has_add_permission(self, request):
        return False  # calls come from the phone system (API)

    def has_change_permission(self, request, obj=None):
        return False
