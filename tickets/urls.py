from django.urls import path

from . import views

app_name = "tickets"

urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("queue/", views.ticket_queue, name="queue"),
    # Opened from the front desk / customer page: ?customer=<id>&contact=<id> pre-fill the form.
    path("new/", views.ticket_create, name="create"),
    path("tags/", views.tag_list, name="tags"),
    path("views/counts/", views.saved_view_counts, name="view_counts"),
    path("views/save/", views.saved_view_save, name="view_save"),
    path("views/<int:pk>/delete/", views.saved_view_delete, name="view_delete"),
    path("bulk/", views.ticket_bulk, name="bulk"),
    path("bulk/bar/", views.ticket_bulk_bar, name="bulk_bar"),
    path("bulk/<int:pk>/", views.ticket_bulk_detail, name="bulk_detail"),
    path("bulk/<int:pk>/undo/", views.ticket_bulk_undo, name="bulk_undo"),
    path("<int:pk>/created/", views.ticket_created, name="created"),
    path("<int:pk>/", views.ticket_detail, name="detail"),
    path("<int:pk>/presence/", views.ticket_presence, name="presence"),
    path("<int:pk>/files/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("<int:pk>/<slug:action>/", views.ticket_action, name="action"),
    path("complaints/", views.complaint_register, name="complaints"),
    path("complaints/export.csv", views.complaint_register_csv, name="complaints_csv"),
    path("complaints/export.xlsx", views.complaint_register_csv, {"fmt": "xlsx"}, name="complaints_xlsx"),
    path("complaints/departments/", views.department_complaints, name="department_complaints"),
    path("complaints/awaiting-decision/", views.complaints_awaiting_decision, name="complaints_awaiting"),
]
