"""The online request form's URLs (issue 15 item 3), included by portal/urls.py."""
from django.urls import path

from . import views_request

urlpatterns = [
    path("request/", views_request.request_form, name="request"),
    path("request/code/", views_request.request_code, name="request_code"),
    # Without a ticket: the thank-you page alone (what a robot caught by the honeypot is shown).
    path("request/done/", views_request.request_done, name="request_done"),
    path("request/done/<str:token>/", views_request.request_done, name="request_done"),
]
