from django.urls import path

from . import views

app_name = "monitoring"
urlpatterns = [
    path("", views.board, name="board"),
    path("rules/", views.rule_list, name="rules"),
    path("rules/new/", views.rule_create_view, name="rule_create"),
    path("rules/<int:pk>/", views.rule_edit, name="rule_edit"),
]
