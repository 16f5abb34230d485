from django.contrib import admin

from .models import (
    Complaint,
    ComplaintHandoff,
    Department,
    FaultCause,
    Ticket,
    TicketAttachment,
    TicketCounter,
    TicketEvent,
    TicketReply,
    TicketSettings,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EventInline(ReadOnlyInline):
    model = TicketEvent
    fields = ("created_at", "actor", "kind", "field", "before", "after", "message")
    readonly_fields = fields


class ReplyInline(ReadOnlyInline):
    model = TicketReply
    fields = ("created_at", "author", "public", "body", "delivery_status", "delivery_attempts")
    readonly_fields = fields


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Read-mostly: changes go through the ticket page so that every one leaves an event."""

    list_display = ("number", "kind", "status", "priority", "customer", "assignee", "created_at")
    list_filter = ("kind", "status", "priority", "channel")
    search_fields = ("number", "subject")
    show_full_result_count = False  # no COUNT(*) over the whole table on every admin page
    list_select_related = ("customer", "assignee")
    raw_id_fields = ("customer", "asset", "assignee", "created_by")
    readonly_fields = [f.name for f in Ticket._meta.fields]
    inlines = [EventInline, ReplyInline]

    def has_add_permission(self, request):
        return False


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = ("ticket", "category", "department", "remedy", "decided_by", "return_visit_outcome")
    list_filter = ("category", "remedy", "return_visit_outcome", "department")
    readonly_fields = [f.name for f in Complaint._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(FaultCause)
class FaultCauseAdmin(admin.ModelAdmin):
    list_display = ("name", "name_en", "code", "is_active", "sort_order")
    list_editable = ("is_active", "sort_order")
    search_fields = ("name", "name_en", "code")
    prepopulated_fields = {"code": ("name_en",)}  # a slug from the Chinese name would be empty


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    """Managers keep the departments (issue 17): names, head, members and the two deadlines."""

    list_display = ("name", "name_en", "head", "accept_hours", "findings_hours", "is_active")
    list_editable = ("is_active",)
    search_fields = ("name", "name_en")
    fields = ("name", "name_en", "is_active", "head", "members", "accept_hours", "findings_hours")
    filter_horizontal = ("members",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "head":
            from django.contrib.auth import get_user_model

            kwargs["queryset"] = get_user_model().objects.filter(is_active=True).order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "members":
            from django.contrib.auth import get_user_model

            kwargs["queryset"] = get_user_model().objects.filter(is_active=True).order_by("username")
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(ComplaintHandoff)
class ComplaintHandoffAdmin(admin.ModelAdmin):
    """Read-only: hand-offs are made and answered on the ticket page (each one is history)."""

    list_display = ("ticket", "department", "state", "handed_by", "handed_at", "responded_by", "responded_at")
    list_filter = ("state", "department")
    readonly_fields = [f.name for f in ComplaintHandoff._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TicketSettings)
class TicketSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "reopen_window_days", "attachment_max_mb", "general_manager")

    def has_add_permission(self, request):
        return not TicketSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TicketCounter)
class TicketCounterAdmin(admin.ModelAdmin):
    list_display = ("kind", "year", "last")
    readonly_fields = ("kind", "year", "last")

    def has_add_permission(self, request):
        return False


@admin.register(TicketEvent)
class TicketEventAdmin(admin.ModelAdmin):
    list_display = ("ticket", "kind", "actor", "created_at")
    list_filter = ("kind",)
    raw_id_fields = ("ticket", "actor")
    show_full_result_count = False
    readonly_fields = [f.name for f in TicketEvent._meta.fields]
    def has_add_permission(self, request):
        return False  # events are written by the ticket services


@admin.register(TicketReply)
class TicketReplyAdmin(admin.ModelAdmin):
    list_display = ("ticket", "author", "public", "delivery_status", "created_at")
    list_filter = ("public", "delivery_status")
    raw_id_fields = ("ticket", "author")
    show_full_result_count = False
    readonly_fields = [f.name for f in TicketReply._meta.fields]
    def has_add_permission(self, request):
        return False  # replies are written on the ticket page (and e-mailed from there)


@admin.register(TicketAttachment)
class TicketAttachmentAdmin(admin.ModelAdmin):
    list_display = ("original_name", "ticket", "content_type", "size", "uploaded_by", "uploaded_at")
    raw_id_fields = ("ticket", "uploaded_by")
    readonly_fields = [f.name for f in TicketAttachment._meta.fields]
    def has_add_permission(self, request):
        return False  # every field is read-only: the add page could only fail; files are attached on the ticket page
