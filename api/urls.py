from django.contrib.auth.decorators import login_required
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from . import manage_views, views
from .docs import DocsView
from .exceptions import not_found

app_name = "api"
urlpatterns = [
    path("v1/customers/", views.CustomerListView.as_view(), name="customers"),
    path("v1/customers/<int:pk>/", views.CustomerDetailView.as_view(), name="customer"),
    path("v1/contacts/", views.ContactCreateView.as_view(), name="contacts"),
    path("v1/tickets/", views.TicketListView.as_view(), name="tickets"),
    path("v1/tickets/<int:pk>/", views.TicketDetailView.as_view(), name="ticket"),
    path("v1/tickets/<int:pk>/replies/", views.TicketReplyView.as_view(), name="ticket_replies"),
    path("v1/tickets/<int:pk>/status/", views.TicketStatusView.as_view(), name="ticket_status"),
    path("v1/workorders/", views.WorkOrderListView.as_view(), name="workorders"),
    path("v1/workorders/<int:pk>/", views.WorkOrderDetailView.as_view(), name="workorder"),
    path("v1/calls/ringing/", views.CallRingingView.as_view(), name="calls_ringing"),
    path("v1/calls/ended/", views.CallEndedView.as_view(), name="calls_ended"),
    # The schema and its docs page: for signed-in staff (the schema is also `manage.py spectacular`).
    path("v1/schema/", login_required(SpectacularAPIView.as_view()), name="schema"),
    path("v1/docs/", login_required(DocsView.as_view(url_name="api:schema")), name="docs"),
    re_path(r"^v1/", not_found, name="not_found"),
    # Managers' pages
    path("tokens/", manage_views.token_list, name="tokens"),
    path("tokens/new/", manage_views.token_create, name="token_create"),
    path("tokens/<int:pk>/", manage_views.token_detail, name="token_detail"),
    path("tokens/<int:pk>/revoke/", manage_views.token_revoke, name="token_revoke"),
]
