"""API fixtures: tokens made through the service, and a client that sends one."""
import json

import pytest
from django.test import Client

from api.models import Scope
from api.services import token_create

ALL_SCOPES = list(Scope.values)


@pytest.fixture(autouse=True)
def _api_cache(settings):
    """The rate-limit counters live in the cache: Redis when REDIS_URL is set (the real thing, db of this
    run), else a per-test in-memory cache (SQLite reuses ids after a rollback, so a file cache shared
    between tests would count another test's calls). On Redis each test gets fresh keys (its own prefix)
    rather than a cleared database: clearing Redis empties it for the other test workers too, whose kept
    configuration then costs a query more in the middle of their query-count tests."""
    import uuid

    from django.core.cache import cache

    if settings.REDIS_URL:
        settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"api-{uuid.uuid4().hex}"}}
        yield
        return
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "api-tests"}}
    cache.clear()
    yield
    cache.clear()


class ApiClient:
    def __init__(self, secret: str | None, language: str = "en"):
        self.client = Client(raise_request_exception=True)
        self.headers = {"Accept-Language": language}
        if secret is not None:
            self.headers["Authorization"] = f"Bearer {secret}"

    def get(self, path, params=None, **headers):
        return self.client.get(path, params or {}, headers={**self.headers, **headers})

    def post(self, path, data=None, raw: bytes | str | None = None, **headers):
        body = raw if raw is not None else json.dumps(data if data is not None else {})
        return self.client.post(path, body, content_type="application/json", headers={**self.headers, **headers})


@pytest.fixture
def make_token(personas):
    def _make(scopes=None, name="Phone exchange", **kwargs):
        return token_create(name=name, scopes=ALL_SCOPES if scopes is None else scopes,
                            created_by=personas.manager, **kwargs)

    return _make


@pytest.fixture
def api_for(make_token):
    """api_for(scopes) → a client sending a fresh token with those scopes (all by default)."""

    def _client(scopes=None, language="en", **kwargs):
        issued = make_token(scopes, **kwargs)
        client = ApiClient(issued.secret, language)
        client.token = issued.token
        return client

    return _client


@pytest.fixture
def api(api_for):
    return api_for()


@pytest.fixture
def ticket_factory(customer_factory, personas):
    from tickets.services import ticket_create

    def _make(kind="repair", customer=None, subject="Printer jams", **kwargs):
        kwargs.setdefault("created_by", personas.frontdesk)
        return ticket_create(customer=customer or customer_factory(), kind=kind, subject=subject, **kwargs)

    return _make


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
