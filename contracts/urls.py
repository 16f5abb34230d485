from django.urls import path

from . import views

app_name = "contracts"

urlpatterns = [
    path("", views.contract_list, name="list"),
    path("new/", views.contract_create, name="create"),
    path("<int:pk>/", views.contract_detail, name="detail"),
    path("<int:pk>/edit/", views.contract_edit, name="edit"),
    path("renewals/", views.renewals, name="renewals"),
    path("renewals/<int:pk>/done/", views.reminder_done, name="reminder_done"),
    path("care-dates/", views.care_dates, name="care_dates"),
]
