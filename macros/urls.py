from django.urls import path

from . import views

app_name = "macros"

urlpatterns = [
    path("", views.macro_list, name="list"),
    path("new/", views.macro_create, name="create"),
    path("<int:pk>/edit/", views.macro_edit, name="edit"),
    path("<int:pk>/retire/", views.macro_retire, name="retire"),
    path("pick/<int:ticket_pk>/", views.macro_pick, name="pick"),
    path("pick/<int:ticket_pk>/<int:pk>/", views.macro_fill, name="fill"),
]
