from django.contrib import admin

from .models import ReportDelivery, ReportExport, ReportExportDownload, ReportSubscription


class DownloadInline(admin.TabularInline):
    model = ReportExportDownload
    extra = 0
    can_delete = False
    readonly_fields = ["user", "at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ReportExport)
class ReportExportAdmin(admin.ModelAdmin):
    """The export log is evidence (who took which customer data out): read-only here."""

    list_display = ["id", "requested_by", "table", "fmt", "status", "row_count", "created_at", "finished_at"]
    list_filter = ["status", "fmt", "table"]
    search_fields = ["requested_by__username", "table"]
    inlines = [DownloadInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "frequency", "team", "is_active", "created_by", "created_at"]
    list_filter = ["frequency", "is_active"]
    raw_id_fields = ["user", "created_by"]


@admin.register(ReportDelivery)
class ReportDeliveryAdmin(admin.ModelAdmin):
    list_display = ["subscription", "period_start", "status", "attempts", "sent_at"]
    list_filter = ["status"]
    readonly_fields = ["subscription", "period_start", "period_end", "claimed_at", "sent_at", "attempts", "error"]
    def has_add_permission(self, request):
        return False  # deliveries are claimed by the reports-deliveries sweep, once per period
