from django.contrib import admin
from django.views.generic import RedirectView

from accounts import views as account_views
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", account_views.Login.as_view(), name="login"),
    path("logout/", account_views.auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("accounts.urls")),
    # The admin signs in through the same page (lockout and two-step sign-in apply there too).
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_mark_read, name="notifications_mark_read"),
    path("customers/", include("customers.urls")),
    path("admin/", admin.site.urls),
]

# Each area mounts itself when it has pages (so one area can be built without the others).
for prefix, module in (
    ("tickets/", "tickets.urls"),
    ("sla/", "sla.urls"),
    ("dispatch/", "dispatch.urls"),
    ("kb/", "knowledge.urls"),
    ("followups/", "followups.urls"),
    ("reports/", "reports.urls"),
):
    try:
        urlpatterns.append(path(prefix, include(module)))
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise

admin.site.site_header = "ServiceDesk"
