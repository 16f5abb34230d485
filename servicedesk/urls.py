from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
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
handler400 = "servicedesk.views.bad_request"  # also answers 413 for a request body over the limit
