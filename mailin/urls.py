from django.urls import path

from . import views

app_name = "mailin"
urlpatterns = [
    path("mailboxes/", views.mailbox_list, name="mailboxes"),
    path("mailboxes/new/", views.mailbox_edit, name="mailbox_add"),
    path("mailboxes/<int:pk>/", views.mailbox_edit, name="mailbox_edit"),
    path("mailboxes/<int:pk>/poll/", views.mailbox_poll_now, name="mailbox_poll"),
    path("messages/<int:pk>/original/", views.eml_download, name="eml"),
]
