from django.urls import path

from . import views

app_name = "dispatch"

urlpatterns = [
    path("", views.my_jobs, name="my_jobs"),
    path("board/", views.board, name="board"),
    path("wo/<int:pk>/", views.workorder_detail, name="workorder"),
    path("wo/<int:pk>/arrive/", views.workorder_arrive, name="arrive"),
    path("wo/<int:pk>/start/", views.workorder_start, name="start"),
    path("wo/<int:pk>/work/", views.workorder_work, name="work"),
    path("wo/<int:pk>/parts/", views.workorder_part, name="part"),
    path("wo/<int:pk>/photos/", views.workorder_photo, name="photo"),
    path("wo/<int:pk>/quote/", views.workorder_quote, name="quote"),
    path("wo/<int:pk>/quote/accept/", views.workorder_quote_accept, name="quote_accept"),
    path("wo/<int:pk>/sign/", views.workorder_sign, name="sign"),
    path("wo/<int:pk>/close/", views.workorder_close, name="close"),
    path("wo/<int:pk>/dispatch/", views.workorder_dispatch, name="auto_dispatch"),
    path("wo/<int:pk>/force/", views.workorder_force, name="force"),
    path("wo/<int:pk>/cancel/", views.workorder_cancel, name="cancel"),
    path("offer/<int:pk>/accept/", views.offer_accept, name="offer_accept"),
    path("offer/<int:pk>/decline/", views.offer_decline, name="offer_decline"),
    path("ticket/<int:ticket_pk>/panel/", views.ticket_panel, name="ticket_panel"),
    path("ticket/<int:ticket_pk>/new/", views.workorder_create, name="workorder_create"),
]
