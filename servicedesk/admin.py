"""Admin for teams, staff profiles and notifications; staff profiles are edited on the user page."""
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import Notification, OutboxMessage, StaffProfile, Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "supervisor", "created_at"]
    search_fields = ["name", "name_en", "supervisor__username"]
    list_select_related = ["supervisor"]
    raw_id_fields = ["supervisor"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "phone", "extension", "language"]
    list_filter = ["team", "language"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "phone", "extension"]
    list_select_related = ["user", "team"]
    raw_id_fields = ["user"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "message", "kind", "channel", "read_at", "emailed_at"]
    list_filter = [("read_at", admin.EmptyFieldListFilter), "channel", "kind", "created_at"]
    search_fields = ["recipient__username", "message"]
    list_select_related = ["recipient"]
    raw_id_fields = ["recipient"]
    readonly_fields = ["recipient", "message", "url", "kind", "group", "channel", "created_at", "read_at", "emailed_at",
                       "digested_at"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False  # notifications come from servicedesk.services.notify


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False
    fk_name = "user"
    fields = ["team", "phone", "extension", "language"]


User = get_user_model()


class UserAdmin(DjangoUserAdmin):
    inlines = [*DjangoUserAdmin.inlines, StaffProfileInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active", "is_staff"]
    list_filter = [*DjangoUserAdmin.list_filter]


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, UserAdmin)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Read-only: messages are written by the services and delivered by servicedesk.outbox."""

    list_display = ["created_at", "kind", "channel", "to", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind", "channel"]
    search_fields = ["to", "subject", "idempotency_key"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_exclude(self, request, obj=None):
        # A password-reset e-mail carries a live sign-in link: whoever reads the admin must not get it.
        if obj is not None and obj.kind == "account.password_reset":
            return ["body", "html"]
        return super().get_exclude(request, obj)
