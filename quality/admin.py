from django.contrib import admin

from .models import ChecklistItem, DailySample, DemeritCategory, DemeritSlip, Finding, SeverityLevel


@admin.register(DemeritCategory)
class DemeritCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "default_points", "default_fine", "active", "order"]
    list_editable = ["default_points", "default_fine", "active", "order"]


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "active", "order"]
    list_editable = ["active", "order"]


@admin.register(SeverityLevel)
class SeverityLevelAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "points", "order"]
    list_editable = ["points", "order"]

    def has_delete_permission(self, request, obj=None):
        return False  # findings point at their level; change the penalty instead


class ReadOnlyAdmin(admin.ModelAdmin):
    """Slips, samples and findings change only through the app's pages, which log who did what."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DemeritSlip)
class DemeritSlipAdmin(ReadOnlyAdmin):
    list_display = ["pk", "person", "category", "occurred_at", "points", "fine", "acknowledged_at", "withdrawn_at"]
    list_filter = ["category"]
    list_select_related = ["person", "category"]


@admin.register(DailySample)
class DailySampleAdmin(ReadOnlyAdmin):
    list_display = ["day", "size", "created_at"]


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ["pk", "person", "item", "severity", "points", "found_at", "overturned_at"]
    list_select_related = ["person", "item", "severity"]
