from django.contrib import admin

from .models import AccountSettings


@admin.register(AccountSettings)
class AccountSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "require_2fa_supervisor", "require_2fa_manager")

    def has_add_permission(self, request):
        return not AccountSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
