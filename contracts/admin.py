from django.contrib import admin

from .models import CareGreeting, ContractLevel, ContractSettings, Reminder, ReminderRule, ServiceContract


@admin.register(ContractLevel)
class ContractLevelAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "code", "order", "active"]
    list_editable = ["order", "active"]


@admin.register(ReminderRule)
class ReminderRuleAdmin(admin.ModelAdmin):
    """The manager's reminder rules. A rule that has sent reminders is switched off, not deleted (its
    reminders name it); a new offset applies from the next daily sweep."""

    list_display = ["__str__", "target", "days_before", "action", "active"]
    list_filter = ["target", "action", "active"]

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.reminders.exists()


@admin.register(ContractSettings)
class ContractSettingsAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return not ContractSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ServiceContract)
class ServiceContractAdmin(admin.ModelAdmin):
    list_display = ["number", "customer", "level", "start_date", "end_date", "price"]
    list_select_related = ["customer", "level"]
    raw_id_fields = ["customer", "assets", "created_by"]
    search_fields = ["customer__name"]
    readonly_fields = ["renewed_by"]  # derived from the contracts' dates and assets, never typed

    def save_related(self, request, form, formsets, change):
        """After the assets are saved: the renewal links of the customer (and of the one it left: the form's
        initial customer), as contracts.services.contract_save does, so the reminder sweep's `renewed_by`
        stays true."""
        from .services import contracts_link_renewals

        super().save_related(request, form, formsets, change)
        for customer_id in {form.instance.customer_id, form.initial.get("customer") if change else None} - {None}:
            contracts_link_renewals(customer_id=customer_id)


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["rule", "contract", "asset", "customer", "ends_on", "outcome", "assignee", "done_at"]
    list_select_related = ["rule", "contract", "asset", "customer", "assignee"]
    list_filter = ["action", "outcome"]
    raw_id_fields = ["contract", "asset", "customer", "assignee", "done_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CareGreeting)
class CareGreetingAdmin(admin.ModelAdmin):
    list_display = ["customer", "year", "outcome", "created_at"]
    raw_id_fields = ["customer"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
