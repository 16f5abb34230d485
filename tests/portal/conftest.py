"""Portal fixtures: tickets opened through the tickets service, their status links, pinned times."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

TZ = ZoneInfo("Asia/Shanghai")
# A Monday morning: working hours, no quiet hours.
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)


@pytest.fixture
def now():
    return NOW


@pytest.fixture
def open_ticket(personas, customer_factory):
    from tickets.services import ticket_create

    def _open(*, kind="repair", customer=None, now=NOW, assignee=None, subject="空调漏水", **kw):
        return ticket_create(customer=customer or customer_factory(name="王芳"), kind=kind, subject=subject,
                             created_by=personas.frontdesk, assignee=assignee, now=now, **kw)

    return _open


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _portal_fresh(settings):
    """Each test gets its own in-memory cache (the settings row and the rate-limit windows are cached:
    under pytest-xdist the file cache is shared by the workers, and another test's hits from 127.0.0.1
    would count here), and links are absolute on a fixed site address."""
    from django.core.cache import cache

    settings.SITE_URL = "https://service.example.cn"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "portal-tests"}}
    cache.clear()
    yield
    cache.clear()
