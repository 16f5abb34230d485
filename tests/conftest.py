"""Shared fixtures: personas for every role, the service rules, the Celery mode and the browser.

SERVICEDESK_REQUIRE_SERVICES=1 (set by .ci/run for its PostgreSQL/Redis run) turns every
"skip: service not available" into a failure, so CI can never go green by skipping.
"""
import os

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from servicedesk import compiled, roles

compiled.VERIFY = True  # every query compiled once is also checked against a fresh compile of its call
REQUIRE_SERVICES = os.environ.get("SERVICEDESK_REQUIRE_SERVICES") == "1"
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API in live_server tests


def service_missing(reason: str):
    """Skip, or fail when CI requires every service."""
    if REQUIRE_SERVICES:
        pytest.fail(f"Required service missing: {reason}")
    pytest.skip(reason)


def _serialise_live_server_on_shared_sqlite():
    """On SQLite the test database is in memory, so the live server's request threads all share the test's one
    connection (Django passes it to each thread). Two requests at once — the ticket page's heartbeat polls
    during a form post — then run inside each other's transactions on that connection, and a post could hang
    or vanish (CI saw the complaint journey's post never come back). Run one request at a time there: each
    thread takes a lock for its request, body included, so a browser's parallel connections still queue.
    PostgreSQL gives each thread its own connection and keeps the threaded server."""
    import threading

    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.test.testcases import LiveServerThread

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        return
    lock = threading.Lock()

    class OneRequestAtATimeServer(ThreadedWSGIServer):
        def set_app(self, application):
            def serial(environ, start_response):
                with lock:
                    result = application(environ, start_response)
                    try:
                        body = b"".join(result)  # a streamed body reads the database too: inside the lock
                    finally:
                        if hasattr(result, "close"):
                            result.close()
                return [body]

            super().set_app(serial)

    LiveServerThread.server_class = OneRequestAtATimeServer


_serialise_live_server_on_shared_sqlite()


# The tests' fixed dates (holidays, make-up days, month ends) are in these years. The migration installs
# the business calendar for the year it runs in and the next, so from 2027 on 2026's holidays would be
# missing: install them as well, whatever year the suite runs in.
TEST_CALENDAR_YEARS = [2026, 2027]


def install_test_calendar_years():
    from sla.defaults import install_china_calendar
    from sla.models import BusinessCalendar, BusinessHours, CalendarDay

    install_china_calendar(BusinessCalendar, BusinessHours, CalendarDay, years=TEST_CALENDAR_YEARS)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        install_test_calendar_years()


# Rows that data migrations install (the department's defaults). A transactional test (live server,
# threads) ends with a flush that empties every table, so the next one would start without them: put
# them back first. Each function only fills what is missing.
DATA_MIGRATION_DEFAULTS = [
    ("assessment.migrations.0002_defaults", "load"),
    ("quality.migrations.0002_default_data", "forwards"),
    ("contracts.migrations.0002_defaults", "load"),
    ("customers.migrations.0015_customer_tiers", "load"),
]


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    by_marker = marker is not None and bool(marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
    return by_marker or "live_server" in request.fixturenames or "transactional_db" in request.fixturenames


@pytest.fixture(autouse=True)
def _data_migration_defaults(request):
    if not _is_transactional(request):
        return
    request.getfixturevalue("transactional_db")
    import importlib

    from django.apps import apps

    for module, function in DATA_MIGRATION_DEFAULTS:
        getattr(importlib.import_module(module), function)(apps, None)


@pytest.fixture(autouse=True)
def _tiers_read_afresh():
    """The tiers table, the SLA policies and calendars and the webhook subscriptions are kept per thread across requests (servicedesk.shared_memo): a
    test's rolled-back rows must not outlive it. Nor may the access log's recent views (customers.privacy)."""
    from customers.tiers import tiers_forget
    from sla.calendars import CALENDARS
    from sla.services import POLICIES
    from tickets.selectors import TAGS
    from webhooks.services import SUBSCRIPTIONS

    from customers.privacy import _RECENT

    for memo in (tiers_forget, POLICIES.forget, CALENDARS.forget, SUBSCRIPTIONS.forget, TAGS.forget, _RECENT.clear):
        memo()
    yield
    for memo in (tiers_forget, POLICIES.forget, CALENDARS.forget, SUBSCRIPTIONS.forget, TAGS.forget, _RECENT.clear):
        memo()


@pytest.fixture(autouse=True)
def _postgres_required(request):
    if "postgres" in request.keywords and not settings.IS_POSTGRES:
        service_missing("this test needs PostgreSQL: set DATABASE_URL")


@pytest.fixture(autouse=True)
def _celery_eager(settings):
    """Tasks run in-process by default in tests; tests of real workers switch this off.

    The publishing breaker (servicedesk/queue.py) starts closed: an earlier test's broker outage
    must not make this test's tasks be skipped."""
    from servicedesk import queue
    from servicedesk.celery import app

    queue.reset()
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    settings.LANGUAGE_CODE = "en"
    # Personas are created in almost every test: the default slow hasher would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(username: str, role: str | None, **extra):
    User = get_user_model()
    user = User.objects.create_user(username=username, password="pw", first_name=username.title(), **extra)
    if role:
        group = Group.objects.filter(name=role).first()
        if group is None:  # a transactional test's flush removed the groups: put them back
            roles.sync_roles()
            group = Group.objects.get(name=role)
        user.groups.add(group)
    return user


class Personas:
    """One user per role plus an outsider with no role; built lazily so tests pay only for what they use."""

    def __init__(self):
        self._cache = {}

    def _get(self, key, role):
        if key not in self._cache:
            self._cache[key] = make_user(key, role)
        return self._cache[key]

    @property
    def frontdesk(self):
        return self._get("frontdesk", roles.FRONT_DESK)

    @property
    def agent(self):
        return self._get("agent", roles.AGENT)

    @property
    def agent2(self):
        return self._get("agent2", roles.AGENT)

    @property
    def supervisor(self):
        return self._get("supervisor", roles.SUPERVISOR)

    @property
    def technician(self):
        return self._get("technician", roles.TECHNICIAN)

    @property
    def technician2(self):
        return self._get("technician2", roles.TECHNICIAN)

    @property
    def manager(self):
        return self._get("manager", roles.MANAGER)

    @property
    def outsider(self):
        return self._get("outsider", None)

    def by_role(self, role: str):
        return getattr(self, {"frontdesk": "frontdesk"}.get(role, role))


@pytest.fixture
def personas(db):
    return Personas()


@pytest.fixture
def client_for(client, personas):
    """client_for('agent') → a test client signed in as that persona (None → anonymous)."""

    def _client(role: str | None):
        client.logout()
        if role is not None:
            client.force_login(personas.by_role(role))
        return client

    return _client


@pytest.fixture
def customer_factory(personas):
    """Create customers through the service, with unique valid mobile numbers."""
    from customers.services import PhoneInput, customer_create

    counter = {"n": 0}

    def _make(name="Test Customer", phone=None, **kwargs):
        counter["n"] += 1
        phone = phone or f"139{counter['n']:08d}"
        kwargs.setdefault("created_by", personas.frontdesk)
        return customer_create(name=name, phones=[PhoneInput(phone)], **kwargs)

    return _make


@pytest.fixture(autouse=True)
def _no_idle_sign_out(settings):
    """Tests move the clock hours and days while a client stays signed in: that is not a user leaving
    the PC. The idle sign-out (servicedesk/security.py) is switched on by its own tests."""
    settings.SESSION_IDLE_TIMEOUT = 0


# --- Browser tests (Playwright + Debian Chromium) -------------------------------------------------
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Skip a browser test before any fixture is set up.

    An autouse fixture is too late: pytest sets up session-scoped fixtures (pytest-playwright's
    `browser`, which launches Chromium) before function-scoped ones, so a missing Chromium used to
    error instead of skipping. This hook runs before the item's fixtures.
    """
    if item.get_closest_marker("browser") and not os.path.exists(CHROMIUM):
        service_missing(f"Chromium not found at {CHROMIUM}")


# --- One closing line about what was skipped and how to run it ------------------------------------
# Skips are grouped by the service they wait for (named in the skip reason), so a
# new user sees in one line what did not run and the command that enables it.
HOW_TO_ENABLE = {
    "browser": f"Chromium not at {CHROMIUM}: apt-get install chromium fonts-wqy-microhei, or set CHROMIUM_PATH",
    "PostgreSQL": "set DATABASE_URL=postgres://USER@127.0.0.1:5432/NAME",
    "Redis": "set REDIS_URL=redis://127.0.0.1:6379/0",
}


def _skip_reason(report) -> str:
    reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
    return reason.removeprefix("Skipped: ")


def _skip_service(report) -> str | None:
    """The service a skipped test waited for, as its reason (service_missing's wording) names it."""
    reason = _skip_reason(report)
    for service, words in (("browser", ("Chromium",)), ("PostgreSQL", ("PostgreSQL", "DATABASE_URL")),
                           ("Redis", ("Redis", "REDIS_URL"))):
        if any(word in reason for word in words):
            return service
    return None


def pytest_terminal_summary(terminalreporter):
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    by_service: dict[str, int] = {}
    other: dict[str, int] = {}
    for report in skipped:
        service = _skip_service(report)
        if service:
            by_service[service] = by_service.get(service, 0) + 1
        else:
            reason = _skip_reason(report)
            other[reason] = other.get(reason, 0) + 1
    parts = [f"{n} {service} ({HOW_TO_ENABLE[service]})" for service, n in by_service.items()]
    parts += [f"{n} other ({reason})" for reason, n in other.items()]
    terminalreporter.write_line(f"SKIPPED {len(skipped)} tests — " + "; ".join(parts), yellow=True, bold=True)


# --- Real Celery workers over Redis -----------------------------------------------------------------
def wait_for(predicate, timeout: float = 60, interval: float = 0.2) -> bool:
    """Poll until predicate() is true (a real worker runs in another thread/process) or time runs out."""
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(interval)
    return False


def point_broker(app, url: str) -> None:
    """Repoint the Celery app at another broker, dropping connections pooled for the old one."""
    from servicedesk import queue

    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None
    queue.reset()  # a new broker: forget the last one's failures


@pytest.fixture
def real_worker(settings):
    """A real Celery worker (solo pool, in a thread) consuming from the Redis at REDIS_URL.

    Tasks are no longer eager while it runs; the queue is purged first so another test's leftovers
    cannot run here. Use with @pytest.mark.django_db(transaction=True): the worker's thread has its own
    database connection and must see committed rows.
    """
    url = os.environ.get("REDIS_URL")
    if not url:
        service_missing("REDIS_URL not set: the real-worker test needs Redis")
    from celery.contrib.testing.worker import start_worker

    from servicedesk.celery import app

    old = app.conf.broker_url
    app.conf.task_always_eager = False
    app.conf.result_backend = None
    point_broker(app, url)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    try:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(app.conf.task_default_queue)
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            yield app
    finally:
        point_broker(app, old)
        app.conf.task_always_eager = True
