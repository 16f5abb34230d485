from django.urls import path

from . import views

app_name = "knowledge"

urlpatterns = [
    path("", views.article_list, name="list"),
    path("new/", views.article_create, name="create"),
    path("review/", views.review_list, name="review"),
    path("<int:pk>/", views.article_detail, name="detail"),
    path("<int:pk>/edit/", views.article_edit, name="edit"),
    path("<int:pk>/status/", views.article_status, name="status"),
    path("<int:pk>/vote/", views.article_vote, name="vote"),
    path("<int:pk>/history/", views.article_history, name="history"),
    path("<int:pk>/versions/<int:number>/", views.version_detail, name="version"),
    path("<int:pk>/versions/<int:number>/restore/", views.version_restore, name="restore"),
    path("tickets/<int:ticket_id>/suggestions/", views.ticket_suggestions, name="ticket_suggestions"),
    path("tickets/<int:ticket_id>/link/", views.ticket_link, name="ticket_link"),
    path("tickets/<int:ticket_id>/unlink/", views.ticket_unlink, name="ticket_unlink"),
    path("tickets/<int:ticket_id>/reply/", views.ticket_send_reply, name="ticket_reply"),
    # Public: no login. Only published public articles exist here; everything else is a 404.
    path("faq/", views.faq, name="faq"),
    path("faq/<int:pk>/", views.faq_detail, name="faq_detail"),
    path("faq/<int:pk>/vote/", views.faq_vote, name="faq_vote"),
]
