from django.contrib import admin
from django.templatetags.static import static

from accounts import views as account_views
from django.urls import include, path
from django.views.generic import RedirectView

from . import views


class _Favicon(RedirectView):
    """Browsers ask for /favicon.ico whatever the page says: send them to the static (hashed, cached) icon."""

    permanent = True

    def get_redirect_url(self, *args, **kwargs):
        return static("favicon.ico")


views_favicon = _Favicon.as_view()

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views_favicon, name="favicon"),
    path("healthz", views.healthz, name="healthz"),
    path("outbox/undeliverable/", views.outbox_undeliverable, name="outbox_undeliverable"),
    path("outbox/<int:pk>/retry/", views.outbox_retry, name="outbox_retry"),
    path("login/", account_views.Login.as_view(), name="login"),
    path("logout/", account_views.auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("accounts.urls")),
    # The admin signs in through the same page (lockout and two-step sign-in apply there too).
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    # Before Django's own: the switch also stores a signed-in person's language (same URL and name).
    path("i18n/setlang/", views.language_switch, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/bell/", views.notifications_bell, name="notifications_bell"),
    path("notifications/read/", views.notifications_mark_read, name="notifications_mark_read"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification_open"),
    path("notifications/preferences/", views.notification_preferences, name="notification_preferences"),
    path("customers/", include("customers.urls")),
    path("", include("portal.urls")),
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
    ("mail/", "mailin.urls"),
    ("api/", "api.urls"),
    ("webhooks/", "webhooks.urls"),
    ("calls/", "telephony.urls"),
    ("assessment/", "assessment.urls"),
    ("quality/", "quality.urls"),
    ("monitoring/", "monitoring.urls"),
    ("contracts/", "contracts.urls"),
    ("maintenance/", "maintenance.urls"),
    ("leads/", "leads.urls"),
    ("improvement/", "improvement.urls"),
    ("replies/", "macros.urls"),
):
    try:
        urlpatterns.append(path(prefix, include(module)))
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise

handler400 = "servicedesk.views.bad_request"  # also answers 413 for a request body over the limit
