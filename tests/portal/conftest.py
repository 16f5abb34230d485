"""Portal fixtures: tickets opened through the tickets service, their status links, pinned times."""
import os
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


# --- browser tests: a phone in Chinese, and where their screenshots go ---------------------------
SHOTS = os.environ.get("SHOTS_DIR", "/tmp/shots/portal")


def shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


@pytest.fixture
def phone(browser):
    """A 360×740 touch phone with a Chinese browser (most customers open our links from an SMS)."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()
