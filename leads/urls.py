from django.urls import path

from . import views

app_name = "leads"

urlpatterns = [
    path("", views.open_requests, name="open_requests"),
    path("record/<int:ticket_id>/", views.record, name="record"),
    path("outcomes/<int:pk>/correct/", views.resubmit, name="resubmit"),
    path("confirm/", views.to_confirm, name="to_confirm"),
    path("outcomes/<int:pk>/confirm/", views.confirm, name="confirm"),
    path("outcomes/<int:pk>/send-back/", views.send_back, name="send_back"),
    path("analysis/", views.analysis, name="analysis"),
]
