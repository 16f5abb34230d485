from django.urls import path

from . import views

app_name = "sla"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("clocks/", views.clock_list, name="clock_list"),
    path("tickets/<int:ticket_id>/clocks/", views.ticket_clocks, name="clocks"),
    path("tickets/<int:ticket_id>/reapply/", views.ticket_reapply, name="reapply"),
    path("policies/", views.policy_list, name="policies"),
    path("policies/new/", views.policy_edit, name="policy_add"),
    path("policies/<int:pk>/", views.policy_edit, name="policy"),
    path("calendars/", views.calendar_list, name="calendars"),
    path("calendars/<int:pk>/", views.calendar_edit, name="calendar"),
    path("calendars/<int:pk>/days/", views.calendar_day_add, name="calendar_day_add"),
    path("calendars/<int:pk>/days/<int:day_id>/delete/", views.calendar_day_delete, name="calendar_day_delete"),
]
