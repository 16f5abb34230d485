"""Deployment hardening (issue 13 item 3): security headers, idle sessions, the client address behind
proxies, `check --deploy` under the README's production environment, and no inline code for the CSP."""
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from servicedesk.ratelimit import client_ip
from servicedesk.security import LAST_SEEN

ROOT = Path(__file__).resolve().parents[2]
T0 = timezone.make_aware(datetime(2026, 11, 23, 9, 0))


# --- headers -----------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_pages_carry_the_security_headers(client):
    # when
    response = client.get(reverse("login"))
    # then
    csp = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval', no nonce needed
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response  # HSTS is off unless configured (DEBUG default)


@pytest.mark.django_db
def test_hsts_and_https_redirect_when_enabled(client, settings):
    # given production's settings behind a TLS proxy
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # when plain HTTP reaches the app
    plain = client.get(reverse("login"), HTTP_HOST="desk.example.com")
    # then it is sent to HTTPS, and an HTTPS request (as the proxy reports it) carries HSTS
    assert plain.status_code == 301 and plain["Location"] == "https://desk.example.com/login/"
    secure = client.get(reverse("login"), HTTP_X_FORWARDED_PROTO="https")
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def _production_env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        DEBUG="0",
        SECRET_KEY="ci-" + "k3y-Th4t-is-l0ng-and-r4nd0m-en0ugh-f0r-Dj4ng0-ch3cks-xyz",
        ALLOWED_HOSTS="desk.example.com",
        CSRF_TRUSTED_ORIGINS="https://desk.example.com",
        TRUSTED_PROXY_COUNT="1",
        SERVICEDESK_VAR_DIR=str(tmp_path / "var"),
        STATIC_ROOT=str(tmp_path / "static"),
    )
    env.update(extra)
    return env


def test_check_deploy_is_clean_with_the_documented_production_environment(tmp_path):
    # when: the README's production variables, nothing else
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=_production_env(tmp_path), capture_output=True, text=True, timeout=120,
    )
    # then
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_production_defaults_are_strict_and_each_can_be_switched(tmp_path):
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER, "
        "s.SESSION_IDLE_TIMEOUT, s.SESSION_EXPIRE_AT_BROWSER_CLOSE, s.TRUSTED_PROXY_COUNT)"
    )
    run = lambda **extra: subprocess.run(  # noqa: E731
        [sys.executable, "-c", f"import django, os; os.environ['DJANGO_SETTINGS_MODULE']='servicedesk.settings'; django.setup(); {code}"],
        cwd=ROOT, env=_production_env(tmp_path, **extra), capture_output=True, text=True, timeout=60,
    ).stdout.strip()
    assert run() == "True 31536000 True ('HTTP_X_FORWARDED_PROTO', 'https') 1800 True 1"
    assert run(SECURE_SSL_REDIRECT="0", SECURE_HSTS_SECONDS="0", SECURE_COOKIES="0", SECURE_PROXY_SSL_HEADER="",
               SESSION_IDLE_MINUTES="10", SESSION_EXPIRE_AT_BROWSER_CLOSE="0", TRUSTED_PROXY_COUNT="2") == (
        "False 0 False None 600 False 2"  # no proxy header: Django's default, None
    )


# --- the CSP can stay strict: no inline code in any template ----------------------------------------
TEMPLATE_DIRS = [ROOT / "templates", *sorted(ROOT.glob("*/templates"))]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE_BLOCK = re.compile(r"<style\b", re.I)
TEMPLATE_COMMENT = re.compile(r"{#.*?#}|{% comment %}.*?{% endcomment %}", re.S)


def test_no_template_has_inline_script_handler_or_style_block():
    offenders = []
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            text = TEMPLATE_COMMENT.sub(lambda m: "\n" * m.group().count("\n"), path.read_text(encoding="utf-8"))
            for name, pattern in (("inline <script>", INLINE_SCRIPT), ("on…= handler", INLINE_HANDLER),
                                  ("<style> block", STYLE_BLOCK)):
                for match in pattern.finditer(text):
                    line = text.count("\n", 0, match.start()) + 1
                    offenders.append(f"{path.relative_to(ROOT)}:{line}: {name}")
    assert offenders == [], "the Content-Security-Policy would block these:\n" + "\n".join(offenders)


# --- idle sessions -----------------------------------------------------------------------------------
@pytest.fixture
def idle_30(settings):
    settings.SESSION_IDLE_TIMEOUT = 30 * 60


@pytest.mark.django_db
def test_a_session_idle_longer_than_the_timeout_is_signed_out(client, personas, idle_30):
    page = reverse("notifications")
    with time_machine.travel(T0, tick=False) as clock:
        client.force_login(personas.frontdesk)
        # activity every 29 minutes keeps the session alive past the timeout
        for _ in range(3):
            clock.shift(timedelta(minutes=29))
            assert client.get(page).status_code == 200
        # when the PC is left alone for 31 minutes
        clock.shift(timedelta(minutes=31))
        response = client.get(page)
    # then the next request is signed out and the login page says why
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    login_page = client.get(response["Location"])
    assert "signed out after 30 minutes without activity" in login_page.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_background_refreshes_do_not_count_as_activity(client, personas, idle_30):
    page = reverse("notifications")
    with time_machine.travel(T0, tick=False) as clock:
        client.force_login(personas.supervisor)
        for _ in range(3):  # the dashboard polls; nobody touches the PC
            clock.shift(timedelta(minutes=9))
            assert client.get(page, HTTP_X_BACKGROUND_REFRESH="1").status_code == 200
        clock.shift(timedelta(minutes=8))  # 35 minutes after the last real activity
        response = client.get(page)
    assert response.status_code == 302


@pytest.mark.django_db
def test_an_expired_htmx_request_reloads_the_page_to_the_login(client, personas, idle_30):
    with time_machine.travel(T0, tick=False) as clock:
        client.force_login(personas.agent)
        clock.shift(timedelta(minutes=45))
        response = client.get(reverse("notifications"), HTTP_HX_REQUEST="true",
                              HTTP_HX_CURRENT_URL="http://testserver/tickets/queue/?tab=mine")
    assert response.status_code == 200 and response.content == b""
    assert response["HX-Redirect"] == reverse("login") + "?next=%2Ftickets%2Fqueue%2F%3Ftab%3Dmine"


@pytest.mark.django_db
def test_activity_writes_the_session_at_most_once_a_minute(client, personas, idle_30):
    with time_machine.travel(T0, tick=False) as clock:
        client.force_login(personas.agent)
        stamped = client.session[LAST_SEEN]
        clock.shift(timedelta(seconds=30))
        client.get(reverse("notifications"))
        assert client.session[LAST_SEEN] == stamped  # unchanged: no session write for this request
        clock.shift(timedelta(seconds=31))
        client.get(reverse("notifications"))
        assert client.session[LAST_SEEN] == stamped + 61


@pytest.mark.django_db
def test_the_session_cookie_ends_with_the_browser(client, personas):
    personas.frontdesk  # noqa: B018
    response = client.post(reverse("login"), {"username": "frontdesk", "password": "pw"})
    assert response.status_code == 302
    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie["expires"] == "" and cookie["max-age"] == ""


# --- the client address behind trusted proxies ----------------------------------------------------------
def _request(remote="198.51.100.10", xff=None):
    meta = {"REMOTE_ADDR": remote}
    if xff is not None:
        meta["HTTP_X_FORWARDED_FOR"] = xff
    return RequestFactory().get("/", **meta)


@pytest.mark.parametrize("xff, proxies, expected", [
    # no proxy: the header is anyone's to send, so it is ignored
    (None, 0, "198.51.100.10"),
    ("203.0.113.7", 0, "198.51.100.10"),
    # one proxy: it appended the client's address
    ("203.0.113.7", 1, "203.0.113.7"),
    ("6.6.6.6, 203.0.113.7", 1, "203.0.113.7"),  # the client's own "6.6.6.6" is ignored
    ("6.6.6.6,7.7.7.7,  203.0.113.7", 1, "203.0.113.7"),
    # two proxies: the outer one appended the client, the inner one the outer proxy
    ("203.0.113.7, 10.0.0.2", 2, "203.0.113.7"),
    ("6.6.6.6, 203.0.113.7, 10.0.0.2", 2, "203.0.113.7"),
    # fewer entries than proxies (the request went round them): REMOTE_ADDR
    ("203.0.113.7", 2, "198.51.100.10"),
    (None, 1, "198.51.100.10"),
    # garbage where the proxy's entry should be: REMOTE_ADDR, never the garbage
    ("203.0.113.7, not-an-ip", 1, "198.51.100.10"),
    # ports and IPv6 forms proxies write
    ("203.0.113.7:51234", 1, "203.0.113.7"),
    ("[2001:db8::7]:443", 1, "2001:db8::7"),
    ("::ffff:203.0.113.7", 1, "203.0.113.7"),
])
def test_client_ip_trusts_only_the_configured_proxies(settings, xff, proxies, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_ip(_request(xff=xff)) == expected


def test_survey_rate_limit_behind_a_proxy_is_per_visitor_and_cannot_be_dodged(settings):
    """Behind one proxy every request has the proxy's REMOTE_ADDR: the limit must follow the visitor."""
    from followups.views import _rate_limited  # the survey page's own check

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "test-security-rate-limit"}}
    settings.TRUSTED_PROXY_COUNT = 1
    settings.SURVEY_RATE_LIMIT = (3, 60)
    proxy = "10.0.0.2"
    with time_machine.travel(T0, tick=False):
        # a visitor who rotates a spoofed X-Forwarded-For entry is still counted as themself
        hits = [_rate_limited(_request(proxy, f"6.6.6.{i}, 203.0.113.7")) for i in range(4)]
        # and another visitor behind the same proxy is not blocked by them
        other = _rate_limited(_request(proxy, "203.0.113.99"))
    assert hits == [False, False, False, True]
    assert other is False
