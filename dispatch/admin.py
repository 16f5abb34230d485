from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import (
    DispatchDecision,
    DispatchSettings,
    Escalation,
    LeaveDay,
    Level,
    Offer,
    Part,
    PartUsage,
    PeakSeason,
    Skill,
    StockLevel,
    Technician,
    WorkOrder,
    WorkOrderEvent,
)


class PeakSeasonInline(admin.TabularInline):
    model = PeakSeason
    extra = 1


class DispatchSettingsForm(forms.ModelForm):
    # The level lists are JSON in the database; the manager ticks boxes.
    small_levels = forms.MultipleChoiceField(label=_("Levels serving small jobs"), choices=Level.choices,
                                             widget=forms.CheckboxSelectMultiple)
    medium_levels = forms.MultipleChoiceField(label=_("Levels serving medium jobs"), choices=Level.choices,
                                              widget=forms.CheckboxSelectMultiple)
    large_levels = forms.MultipleChoiceField(label=_("Levels serving large jobs"), choices=Level.choices,
                                             widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = DispatchSettings
        fields = "__all__"


@admin.register(DispatchSettings)
class DispatchSettingsAdmin(admin.ModelAdmin):
    """The manager's dispatch rules: caps, seasons, offer timeout, value tiers and their levels."""

    form = DispatchSettingsForm
    inlines = [PeakSeasonInline]
    fieldsets = [
        (None, {"fields": ["daily_cap", "weekly_cap", "open_cap_off_season", "open_cap_peak", "offer_timeout_minutes",
                           "default_resolution_hours"]}),
        (_("Value tiers"), {"fields": ["medium_threshold", "large_threshold", "small_levels", "medium_levels",
                                    "large_levels"]}),
    ]

    def has_add_permission(self, request):
        return not DispatchSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class LeaveDayInline(admin.TabularInline):
    model = LeaveDay
    extra = 1


@admin.register(Technician)
class TechnicianAdmin(admin.ModelAdmin):
    list_display = ["__str__", "level", "is_active", "last_assigned_at"]
    list_filter = ["level", "is_active", "regions"]
    filter_horizontal = ["skills", "regions"]
    inlines = [LeaveDayInline]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    raw_id_fields = ["user"]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "code"]
    search_fields = ["name", "name_en", "code"]


class StockInline(admin.StackedInline):
    model = StockLevel


@admin.register(Part)
class PartAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "name_en", "unit_price"]
    search_fields = ["sku", "name", "name_en"]
    inlines = [StockInline]


class OfferInline(admin.TabularInline):
    model = Offer
    extra = 0
    readonly_fields = ["technician", "offered_at", "expires_at", "answered_at", "answer", "decline_reason", "forced"]
    can_delete = False


@admin.register(WorkOrder)
class WorkOrderAdmin(admin.ModelAdmin):
    """Read mostly: changes go through the services (the board and the technician's pages)."""

    list_display = ["number", "ticket", "status", "technician", "region", "window_start", "value_tier", "forced"]
    list_filter = ["status", "value_tier", "forced", "region"]
    search_fields = ["number", "ticket__number", "customer__name"]
    readonly_fields = [f.name for f in WorkOrder._meta.fields]
    inlines = [OfferInline]

    def has_add_permission(self, request):
        return False


admin.site.register([DispatchDecision, Escalation, PartUsage, WorkOrderEvent], admin.ModelAdmin)
