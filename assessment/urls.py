from django.urls import path

from . import views

app_name = "assessment"

urlpatterns = [
    path("", views.my_assessment, name="mine"),
    path("forms/", views.my_forms, name="my_forms"),
    path("forms/<int:pk>/", views.form_fill, name="form"),
    path("cycles/", views.cycles, name="cycles"),
    path("cycles/open/", views.cycle_open, name="cycle_open"),
    path("cycles/<int:pk>/", views.cycle_detail, name="cycle"),
    path("cycles/<int:pk>/close/", views.cycle_close, name="cycle_close"),
    path("cycles/<int:pk>/payroll.csv", views.payroll_export, name="cycle_payroll"),
    path("cycles/<int:pk>/payroll.xlsx", views.payroll_export, {"fmt": "xlsx"}, name="cycle_payroll_xlsx"),
    path("results/<int:pk>/sheet/", views.result_sheet, name="result_sheet"),
    path("results/<int:pk>/adjust/", views.result_adjust, name="result_adjust"),
    path("evaluators/", views.evaluators, name="evaluators"),
    path("evaluators/<int:pk>/remove/", views.evaluator_remove, name="evaluator_remove"),
]
