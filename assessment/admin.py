from django.contrib import admin

from .models import (
    Adjustment,
    AssessmentEvent,
    AssessmentSettings,
    Cycle,
    EvaluationTask,
    EvaluatorAssignment,
    EvaluatorKind,
    FormItem,
    FormPart,
    Result,
)


@admin.register(AssessmentSettings)
class AssessmentSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "form_max", "complaint_points", "reward_amount", "threshold", "flag_months"]

    def has_add_permission(self, request):
        return not AssessmentSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class FormItemInline(admin.TabularInline):
    model = FormItem
    extra = 0
    fields = ["order", "name", "name_en", "max_points", "fact", "active"]


@admin.register(FormPart)
class FormPartAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "order", "active"]
    inlines = [FormItemInline]


@admin.register(FormItem)
class FormItemAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "part", "order", "max_points", "fact", "active"]
    list_filter = ["part", "active"]
    list_select_related = ["part"]


@admin.register(EvaluatorKind)
class EvaluatorKindAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "code", "weight", "order", "active"]


@admin.register(EvaluatorAssignment)
class EvaluatorAssignmentAdmin(admin.ModelAdmin):
    list_display = ["person", "evaluator", "kind", "created_by", "created_at"]
    list_select_related = ["person", "evaluator", "kind", "created_by"]
    raw_id_fields = ["person", "evaluator"]
    exclude = ["created_by"]  # the person saving it

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Cycles, forms, results and their log are written by the services only (they are the record)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Cycle)
class CycleAdmin(ReadOnlyAdmin):
    list_display = ["month", "state", "opened_by", "opened_at", "closed_by", "closed_at"]
    list_select_related = ["opened_by", "closed_by"]


@admin.register(EvaluationTask)
class EvaluationTaskAdmin(ReadOnlyAdmin):
    list_display = ["cycle", "person", "evaluator", "kind", "total", "submitted_at"]
    list_select_related = ["cycle", "person", "evaluator", "kind"]
    list_filter = ["cycle"]


@admin.register(Result)
class ResultAdmin(ReadOnlyAdmin):
    list_display = ["cycle", "person", "computed_score", "score", "reward", "months_below", "flagged"]
    list_select_related = ["cycle", "person"]
    list_filter = ["cycle", "flagged"]


@admin.register(Adjustment)
class AdjustmentAdmin(ReadOnlyAdmin):
    list_display = ["result", "points", "reason", "score_before", "score_after", "created_by", "created_at"]
    list_select_related = ["result__cycle", "result__person", "created_by"]


@admin.register(AssessmentEvent)
class AssessmentEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "actor", "cycle", "person"]
    list_select_related = ["actor", "cycle", "person"]
    list_filter = ["action"]
