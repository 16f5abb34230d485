"""Admin for the customers area: search, filters, and audit fields that cannot be edited."""
from django.contrib import admin

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Asset, Contact, Customer, CustomerEvent, CustomerExport, CustomerPhone, CustomerTier, Region


class ReadOnlyAdmin(admin.ModelAdmin):
    """Audit trails are written by the services only: nobody edits or deletes history."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "code", "is_rural"]
    list_filter = ["is_rural"]
    search_fields = ["name", "name_en", "code"]


@admin.register(CustomerTier)
class CustomerTierAdmin(admin.ModelAdmin):
    """Managers add, rename (both languages), reorder and retire tiers (issue 17). The code is what customers,
    SLA policies and reports store: fixed once saved. A tier is never deleted (old rows name it): retire it."""

    list_display = ["position", "name", "name_en", "code", "applies_to", "is_active", "is_default"]
    list_display_links = ["name"]
    list_editable = ["position", "name_en", "is_active"]
    list_filter = ["is_active", "applies_to"]
    search_fields = ["name", "name_en", "code"]
    ordering = ["position", "code"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False


class CustomerAdminForm(forms.ModelForm):
    """The admin's customer form offers the tiers of the table and checks them like the customer page."""

    tier = forms.ChoiceField(label=_("service tier"))

    class Meta:
        model = Customer
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .tiers import tier_choices, tier_default_code

        self.fields["tier"].choices = tier_choices(include=self.instance.tier if self.instance.pk else None)
        if not self.instance.pk:  # the manager's default tier, as the customer page proposes, not the list's first
            self.fields["tier"].initial = tier_default_code(self.initial.get("kind") or Customer.Kind.PERSON)

    def clean(self):
        data = super().clean()
        from django.core.exceptions import ValidationError

        from .tiers import tier_check

        if data.get("tier") and data.get("kind"):
            try:
                tier_check(code=data["tier"], kind=data["kind"],
                           current=self.instance.tier if self.instance.pk else None,
                           current_kind=self.instance.kind if self.instance.pk else None)
            except ValidationError as e:
                self.add_error("tier", e.message_dict["tier"])
        return data


class TierListFilter(admin.SimpleListFilter):
    title = _("service tier")
    parameter_name = "tier"

    def lookups(self, request, model_admin):
        from .tiers import tier_choices

        return tier_choices(retired=True)

    def queryset(self, request, queryset):
        return queryset.filter(tier=self.value()) if self.value() else queryset


class CustomerPhoneInline(admin.TabularInline):
    model = CustomerPhone
    extra = 0
    fields = ["number", "national", "label", "is_primary"]
    readonly_fields = ["national"]


class AssetInline(admin.TabularInline):
    model = Asset
    extra = 0
    fields = ["product", "model", "serial_number", "install_date", "warranty_end", "location"]
    show_change_link = True


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    form = CustomerAdminForm
    list_display = ["name", "kind", "tier_name", "is_key_account", "region", "owner", "first_contact_at", "merged_into"]
    list_filter = ["kind", TierListFilter, "is_key_account", "region", "first_contact_channel", ("merged_into", admin.EmptyFieldListFilter)]
    search_fields = ["name", "phones__national", "phones__number", "email"]
    list_select_related = ["region", "owner", "merged_into"]
    autocomplete_fields = ["merged_into"]
    raw_id_fields = ["owner"]
    # The key-account flag and the account manager change through the customer page's services (they keep the
    # tickets' copy of the flag in step and log the change); the admin shows them only.
    readonly_fields = ["first_contact_by", "first_contact_at", "first_contact_channel", "merged_into", "created_at", "updated_at",
                       "is_key_account", "account_manager"]
    inlines = [CustomerPhoneInline, AssetInline]
    show_full_result_count = False  # 200k customers: no COUNT(*) on every list page

    @admin.display(description=_("service tier"), ordering="tier")
    def tier_name(self, customer):
        return customer.get_tier_display()


@admin.register(CustomerPhone)
class CustomerPhoneAdmin(admin.ModelAdmin):
    list_display = ["number", "national", "label", "is_primary", "customer"]
    list_filter = ["label", "is_primary"]
    search_fields = ["number", "national", "customer__name"]
    list_select_related = ["customer"]
    raw_id_fields = ["customer"]
    readonly_fields = ["national"]
    def has_add_permission(self, request):
        return False  # numbers are added on the customer page, where they are normalised


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ["product", "model", "serial_number", "customer", "install_date", "warranty_end"]
    list_filter = ["product", "warranty_end"]
    search_fields = ["serial_number", "model", "product", "customer__name"]
    list_select_related = ["customer"]
    raw_id_fields = ["customer"]
    readonly_fields = ["created_at", "updated_at"]
    date_hierarchy = "install_date"


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["started_at", "channel", "direction", "purpose", "customer", "caller_name", "handled_by", "ticket"]
    list_filter = ["channel", "direction", "purpose", "started_at"]
    search_fields = ["customer__name", "caller_name", "caller_phone", "notes"]
    list_select_related = ["customer", "handled_by", "ticket"]
    raw_id_fields = ["customer", "ticket", "handled_by"]
    readonly_fields = ["handled_by", "created_at"]
    date_hierarchy = "started_at"
    def has_add_permission(self, request):
        return False  # contacts are logged at the front desk, which records who handled them


@admin.register(CustomerEvent)
class CustomerEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "customer", "actor"]
    list_filter = ["kind", "created_at"]
    search_fields = ["customer__name", "actor__username"]
    list_select_related = ["customer", "actor"]
    readonly_fields = ["customer", "actor", "kind", "data", "created_at"]
    date_hierarchy = "created_at"


@admin.register(CustomerExport)
class CustomerExportAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "exported_by", "row_count", "filters"]
    list_filter = ["created_at"]
    search_fields = ["exported_by__username"]
    list_select_related = ["exported_by"]
    readonly_fields = ["exported_by", "created_at", "filters", "row_count"]
