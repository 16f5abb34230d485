from django.urls import path

from . import views

app_name = "tickets"

urlpatterns = [
    # Opened from the front desk / customer page: ?customer=<id>&contact=<id> pre-fill the form.
    path("new/", views.ticket_create, name="create"),
]
