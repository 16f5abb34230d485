from django.urls import path

from . import views

app_name = "quality"
urlpatterns = [
    path("slips/", views.slip_list, name="slips"),
    path("slips/mine/", views.my_slips, name="my_slips"),
    path("slips/new/", views.slip_new, name="slip_new"),
    path("slips/<int:pk>/", views.slip_detail, name="slip_detail"),
    path("slips/<int:pk>/evidence/", views.slip_evidence, name="slip_evidence"),
    path("inspections/", views.queue, name="queue"),
    path("inspections/<int:pk>/", views.inspect, name="inspect"),
    path("findings/", views.findings, name="findings"),
    path("findings/<int:pk>/", views.finding_detail, name="finding_detail"),
]
