from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/code/", views.login_code, name="login_code"),
    path("password/", views.PasswordChange.as_view(), name="password_change"),
    path("password/reset/", views.PasswordReset.as_view(), name="password_reset"),
    path("password/reset/sent/", views.PasswordResetSent.as_view(), name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", views.PasswordResetConfirm.as_view(), name="password_reset_confirm"),
    path("password/reset/done/", views.PasswordResetDone.as_view(), name="password_reset_complete"),
    path("two-step/", views.two_factor, name="two_factor"),
    path("lockouts/", views.lockouts, name="lockouts"),
    path("lockouts/unlock/", views.lockout_unlock, name="lockout_unlock"),
]
