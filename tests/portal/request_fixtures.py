"""Fixtures of the online request form tests (imported by them; tests/portal/conftest.py is the portal's)."""
import re

import pytest


@pytest.fixture(autouse=True)
def _local_cache(settings):
    """Each test gets its own in-memory cache: rate limits and the settings row must not leak between tests."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"portal-{id(settings)}"}}
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sms_code():
    """The code in the newest code SMS to ``e164`` — read from the outbox row, as the customer would read it."""
    from servicedesk.models import OutboxMessage

    def _code(e164: str) -> str:
        row = OutboxMessage.objects.filter(kind="portal.code", to=e164).order_by("-pk").first()
        assert row is not None, f"no code SMS to {e164}"
        return re.search(r"\b(\d{6})\b", row.body).group(1)

    return _code
