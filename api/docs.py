"""The API's docs page: Swagger UI from our own static files, its start-up script a separate file (CSP: no
inline scripts or <style> blocks; see servicedesk/settings.py CONTENT_SECURITY_POLICY)."""
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.authentication import SessionAuthentication


class DocsView(SpectacularSwaggerSplitView):
    template_name = "api/docs.html"
    authentication_classes = [SessionAuthentication]
    throttle_classes = []
