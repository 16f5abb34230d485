from django.contrib import admin

from .models import MaintenancePlan, MaintenanceVisit


@admin.register(MaintenancePlan)
class MaintenancePlanAdmin(admin.ModelAdmin):
    list_display = ("title", "customer", "kind", "next_due_on", "active")
    list_filter = ("active", "kind")
    raw_id_fields = ("customer", "assets", "created_by")
    readonly_fields = ("next_due_on",)
    search_fields = ("title",)


@admin.register(MaintenanceVisit)
class MaintenanceVisitAdmin(admin.ModelAdmin):
    list_display = ("plan", "due_on", "status", "work_order", "escalated_at")
    list_filter = ("status",)
    raw_id_fields = ("plan", "ticket", "work_order")
    readonly_fields = ("created_at", "escalate_on", "escalated_at")

    def has_add_permission(self, request):
        return False  # a visit is one occurrence of a plan: only the sweep makes it (unique plan + date)
