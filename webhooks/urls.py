from django.urls import path

from . import views

app_name = "webhooks"
urlpatterns = [
    path("", views.webhook_list, name="list"),
    path("new/", views.webhook_create, name="create"),
    path("<int:pk>/", views.webhook_detail, name="detail"),
    path("<int:pk>/edit/", views.webhook_edit, name="edit"),
    path("<int:pk>/rotate-secret/", views.webhook_rotate, name="rotate"),
    path("<int:pk>/toggle/", views.webhook_toggle, name="toggle"),
    path("<int:pk>/test/", views.webhook_test, name="test"),
    path("deliveries/<int:pk>/replay/", views.delivery_replay, name="delivery_replay"),
]
