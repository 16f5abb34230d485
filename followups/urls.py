from django.urls import path

from . import views

app_name = "followups"

urlpatterns = [
    path("callbacks/", views.callbacks, name="callbacks"),
    path("callbacks/new/", views.callback_new, name="callback_new"),
    path("callbacks/<int:pk>/", views.callback_detail, name="callback"),
    path("callbacks/<int:pk>/cancel/", views.callback_cancel, name="callback_cancel"),
    path("satisfaction/", views.satisfaction, name="satisfaction"),
    path("satisfaction/export.csv", views.satisfaction_export, name="satisfaction_export"),
    path("satisfaction/export.xlsx", views.satisfaction_export, {"fmt": "xlsx"}, name="satisfaction_export_xlsx"),
    path("staff/", views.staff_performance, name="staff_performance"),
    path("policy/", views.policy_edit, name="policy"),
    path("s/<str:token>/", views.survey, name="survey"),
]
