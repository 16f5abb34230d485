from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from customers.admin import TierListFilter
from customers.tiers import tier_label

from .calendars import calendar_touch
from .forms import PolicyForm
from .models import BusinessCalendar, BusinessHours, CalendarDay, SLAClock, SLAEscalation, SLAPolicy, SLAPolicyChange, SLATarget


class BusinessHoursInline(admin.TabularInline):
    model = BusinessHours
    extra = 0


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 1
    ordering = ["-date"]


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "is_default"]
    inlines = [BusinessHoursInline, CalendarDayInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        calendar_touch(form.instance.pk)  # cached working calendars rebuild on next use


class SLATargetInline(admin.TabularInline):
    model = SLATarget
    extra = 0


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "order", "kind", "priority", "tier_name", "channel", "calendar"]
    list_filter = ["is_active", "kind", TierListFilter]  # by the tier's name, as the customer admin
    inlines = [SLATargetInline]
    form = PolicyForm  # offers the tiers of the table (issue 17), like the manager's policy page

    @admin.display(description=_("customer tier"), ordering="tier")
    def tier_name(self, policy):
        return tier_label(policy.tier) if policy.tier else _("Any tier")


class SLAEscalationInline(admin.TabularInline):
    model = SLAEscalation
    extra = 0
    can_delete = False
    readonly_fields = ["level", "scheduled_for", "fired_at"]


@admin.register(SLAClock)
class SLAClockAdmin(admin.ModelAdmin):
    """Read-only: clocks change through ticket actions and the manager's re-apply, never by hand."""

    list_display = ["ticket", "target", "clock", "started_at", "deadline", "paused_at", "stopped_at", "met", "next_check_at"]
    list_filter = ["target", "clock", "met"]
    list_select_related = ["ticket"]
    raw_id_fields = ["ticket"]
    inlines = [SLAEscalationInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(SLAPolicyChange)
class SLAPolicyChangeAdmin(admin.ModelAdmin):
    list_display = ["ticket", "actor", "policy", "created_at", "reason"]
    raw_id_fields = ["ticket"]

    def has_change_permission(self, request, obj=None):
        return False
