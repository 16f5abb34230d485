"""The online request form's URLs (issue 15 item 3), included by portal/urls.py."""
urlpatterns: list = []
