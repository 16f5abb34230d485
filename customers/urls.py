from django.urls import path

from . import views

app_name = "customers"

urlpatterns = [
    path("", views.desk, name="desk"),
    path("search/", views.search, name="search"),
    path("new/", views.customer_create, name="create"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/owner/", views.customer_owner, name="owner"),
    path("<int:pk>/verify/", views.customer_verify, name="verify"),
    path("<int:pk>/service-plan/", views.service_plan_edit, name="service_plan"),
    path("<int:pk>/merge/", views.customer_merge, name="merge"),
    path("<int:pk>/assets/new/", views.asset_create, name="asset_create"),
    path("assets/<int:pk>/edit/", views.asset_edit, name="asset_edit"),
    # ?customer=<id> from a customer page; without it from the desk (anonymous callers allowed).
    path("contacts/new/", views.contact_create, name="contact_create"),
    path("tallies/", views.tallies, name="tallies"),
    path("export/", views.export, name="export"),
    path("<int:pk>/reveal/", views.reveal, name="reveal"),
    path("access-log/", views.access_log, name="access_log"),
    path("<int:pk>/personal-data/", views.subject_request, name="subject"),
    path("retention/", views.retention, name="retention"),
    path("imports/", views.import_list, name="imports"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/status/", views.import_status, name="import_status"),
    path("imports/<int:pk>/log.csv", views.import_log, name="import_log"),
]
