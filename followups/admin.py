from django.contrib import admin

from .models import Callback, CallbackAttempt, FollowupPolicy, SurveyInvitation, SurveyResponse


@admin.register(FollowupPolicy)
class FollowupPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "repair_delay_working_days", "max_attempts", "dissatisfied_action", "updated_at"]


class CallbackAttemptInline(admin.TabularInline):
    model = CallbackAttempt
    extra = 0
    readonly_fields = ["by", "at", "result", "outcome", "notes"]


@admin.register(Callback)
class CallbackAdmin(admin.ModelAdmin):
    list_display = ["pk", "customer", "reason", "status", "due_at", "owner", "attempts", "outcome"]
    list_filter = ["status", "reason", "outcome"]
    raw_id_fields = ["customer", "ticket", "owner", "technician", "follow_up_ticket", "survey_response", "parent",
                     "created_by"]
    inlines = [CallbackAttemptInline]


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(admin.ModelAdmin):
    list_display = ["pk", "customer", "ticket", "created_at", "expires_at", "used_at", "delivery_status"]
    list_filter = ["delivery_status"]
    raw_id_fields = ["customer", "ticket", "technician"]
    exclude = ["nonce"]


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    list_display = ["pk", "submitted_at", "overall", "recommend", "tier", "ticket_kind"]
    list_filter = ["overall", "tier", "ticket_kind"]
    raw_id_fields = ["invitation", "customer", "ticket", "agent", "technician", "region"]
