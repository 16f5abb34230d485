from django.contrib import admin

from .models import Macro


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "public", "set_status", "set_priority", "assign", "active", "use_count",
                    "last_used_at"]
    list_filter = ["active", "public", "set_status"]
    search_fields = ["name", "text_zh", "text_en"]
    raw_id_fields = ["owner", "assign_to"]
    filter_horizontal = ["add_tags"]
    readonly_fields = ["use_count", "last_used_at"]
