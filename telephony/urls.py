from django.urls import path

from . import views

app_name = "telephony"
urlpatterns = [
    path("", views.call_list, name="list"),
    path("pop/", views.pop, name="pop"),
    path("<int:pk>/log/", views.call_log, name="log"),
    path("<int:pk>/dismiss/", views.call_dismiss, name="dismiss"),
]
