from django.urls import path

from . import manage_views, views
from .urls_request import urlpatterns as request_urlpatterns

app_name = "portal"

urlpatterns = [
    # Short, because the link travels in an SMS: https://…/t/2n9c-Xk3…
    path("t/<str:token>/", views.status, name="status"),
    path("portal/settings/", manage_views.settings_edit, name="settings"),
    path("portal/messages/", manage_views.template_list, name="templates"),
    path("portal/messages/<str:event>/", manage_views.template_edit, name="template_edit"),
    path("portal/messages/<str:event>/<str:kind>/", manage_views.template_edit, name="template_edit_kind"),
    path("portal/tickets/<int:pk>/link/", views.ticket_link_panel, name="ticket_link"),
    path("portal/tickets/<int:pk>/link/<str:action>/", views.ticket_link_action, name="ticket_link_action"),
    path("sms/inbound/<str:token>/", views.sms_inbound, name="sms_inbound"),
    *request_urlpatterns,
]
