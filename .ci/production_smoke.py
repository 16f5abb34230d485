#!/usr/bin/env python3
"""The README's production path, run as written (issue 13 item 2).

Reads the three blocks of README.md's "Production" section (marked `<!-- production:env -->`,
`<!-- production:release -->`, `<!-- production:services -->`) and runs them literally: the
environment as documented — except SECRET_KEY (a placeholder there, a fresh random key here),
DATABASE_URL and REDIS_URL (given on the command line: a scratch database and Redis db) — the
release commands one by one, then gunicorn, a Celery worker and beat in the background. Then, talking
to gunicorn the way the documented TLS proxy would (Host, X-Forwarded-Proto, X-Forwarded-For):

  plain HTTP is redirected to HTTPS; pages carry CSP, HSTS, X-Frame-Options and Referrer-Policy;
  a staff user made with manage.py signs in through the login form (CSRF and Secure cookies);
  a page opens; a hashed static file comes compressed (br and gzip) from whitenoise;
  `check --deploy` prints no warning; beat's first periodic task runs on the worker through Redis.

Everything it started is stopped at the end, pass or fail. Uses the standard library only.

  .venv/bin/python .ci/production_smoke.py --database-url postgres://… --redis-url redis://…/14
"""
import argparse
import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OVERRIDDEN = {"SECRET_KEY", "DATABASE_URL", "REDIS_URL"}
CLIENT = "203.0.113.7"  # the visitor's address, as the proxy appends it to X-Forwarded-For


def fail(message: str):
    raise SystemExit(f"production smoke FAILED: {message}")


def ok(message: str):
    print(f"  ok  {message}", flush=True)


def readme_blocks() -> dict[str, list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = {}
    for name in ("env", "release", "services"):
        match = re.search(rf"<!-- production:{name} -->\s*```sh\n(.*?)```", text, re.S)
        if not match:
            fail(f"README.md has no `<!-- production:{name} -->` block")
        lines = [line.strip() for line in match.group(1).splitlines()]
        blocks[name] = [line for line in lines if line and not line.startswith("#")]
    return blocks


def environment(env_lines: list[str], *, database_url: str, redis_url: str, port: int) -> dict[str, str]:
    documented = {}
    for line in env_lines:
        name, _, value = line.partition("=")
        if not re.fullmatch(r"[A-Z_][A-Z0-9_]*", name):
            fail(f"README env line is not NAME=value: {line!r}")
        documented[name] = value
    missing = OVERRIDDEN - documented.keys()
    if missing:
        fail(f"README's production environment lacks {sorted(missing)}")
    # Start from a clean slate: nothing from this shell's configuration leaks into the run.
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER"}}
    env.update(documented)
    env.update(SECRET_KEY=secrets.token_urlsafe(50), DATABASE_URL=database_url, REDIS_URL=redis_url, PORT=str(port))
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proxy:
    """Speaks to gunicorn like the documented TLS proxy: keeps cookies, forwards the client's address."""

    def __init__(self, port: int, host: str):
        self.port, self.host, self.cookies = port, host, {}

    def request(self, method, path, *, body=None, headers=None, https=True):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {"Host": self.host, "X-Forwarded-For": CLIENT, **(headers or {})}
        if https:
            sent["X-Forwarded-Proto"] = "https"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        data = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
                if https and "secure" not in value.lower():
                    fail(f"cookie {name} is not Secure: {value}")
        conn.close()
        return response, data


class Services:
    def __init__(self, logdir: Path):
        self.logdir, self.procs = logdir, []

    def start(self, command: str, env: dict[str, str]):
        name = command.split()[0].rsplit("/", 1)[-1] + ("-" + command.split()[3] if "celery" in command else "")
        log = open(self.logdir / f"{name}.log", "wb")
        proc = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append((name, proc, self.logdir / f"{name}.log"))
        return proc

    def log(self, name: str) -> str:
        for n, _proc, path in self.procs:
            if n == name:
                return path.read_text(errors="replace")
        return ""

    def check_alive(self):
        for name, proc, path in self.procs:
            if proc.poll() is not None:
                fail(f"{name} exited with {proc.returncode}:\n{path.read_text(errors='replace')[-3000:]}")

    def stop(self):
        for _name, proc, _path in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for name, proc, _path in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                print(f"  (killed {name}: it did not stop on SIGTERM)")
        print(f"stopped {', '.join(n for n, _p, _l in self.procs)}", flush=True)


def run(command: str, env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    print(f"$ {command}", flush=True)
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=ROOT, env=env, text=True,
                            capture_output=True, **kwargs)
    if result.returncode != 0:
        fail(f"`{command}` exited {result.returncode}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def smoke(args, services: Services) -> int:
    blocks = readme_blocks()
    port = args.port or free_port()
    env = environment(blocks["env"], database_url=args.database_url, redis_url=args.redis_url, port=port)
    host = env["ALLOWED_HOSTS"].split(",")[0]
    checks = 0

    print("== the release steps (README)", flush=True)
    for command in blocks["release"]:
        result = run(command, env)
        if "check --deploy" in command:
            output = result.stdout + result.stderr
            if "System check identified no issues" not in output or "WARNING" in output:
                fail(f"check --deploy is not clean:\n{output}")
            ok("manage.py check --deploy: " + output.strip().splitlines()[-1])
            checks += 1

    print("== a staff user (manage.py createsuperuser, then the manager role)", flush=True)
    password = secrets.token_urlsafe(16)
    run("DJANGO_SUPERUSER_PASSWORD=\"$SMOKE_PASSWORD\" .venv/bin/python manage.py createsuperuser --noinput "
        "--username smoke-manager --email smoke@example.com", {**env, "SMOKE_PASSWORD": password})
    run(".venv/bin/python manage.py shell -c \"from django.contrib.auth.models import Group, User; "
        "User.objects.get(username='smoke-manager').groups.add(Group.objects.get(name='manager'))\"", env)

    print("== the services (README)", flush=True)
    for command in blocks["services"]:
        print(f"$ {command} &", flush=True)
        services.start(command, env)

    proxy = Proxy(port, host)
    deadline = time.monotonic() + 60
    while True:
        services.check_alive()
        try:
            response, _ = proxy.request("GET", "/login/")
            break
        except OSError:
            if time.monotonic() > deadline:
                fail("gunicorn did not answer within 60 s")
            time.sleep(0.5)

    # 1. plain HTTP reaching the app is sent to HTTPS
    plain, _ = Proxy(port, host).request("GET", "/login/", https=False)
    if plain.status != 301 or plain.getheader("Location") != f"https://{host}/login/":
        fail(f"plain HTTP was not redirected to HTTPS: {plain.status} {plain.getheader('Location')}")
    ok(f"http://{host}/login/ -> 301 {plain.getheader('Location')}")
    checks += 1

    # 2. the login page and its security headers
    response, body = proxy.request("GET", "/login/")
    if response.status != 200:
        fail(f"GET /login/ answered {response.status}")
    # django-csp writes the directives in no fixed order: read them, not the header's text.
    csp = dict((part.strip().split(" ", 1) + [""])[:2] for part in (response.getheader("Content-Security-Policy") or "").split(";")
               if part.strip())
    for directive, value in (("script-src", "'self'"), ("default-src", "'self'"), ("object-src", "'none'"),
                             ("frame-ancestors", "'none'")):
        if csp.get(directive) != value:
            fail(f"Content-Security-Policy has {directive} {csp.get(directive)!r}, expected {value!r}")
    expected = {
        "Strict-Transport-Security": "max-age=31536000; includeSubDomains; preload",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
    }
    for header, value in expected.items():
        if value not in (response.getheader(header) or ""):
            fail(f"{header} is {response.getheader(header)!r}, expected it to contain {value!r}")
    ok("GET /login/ 200 with Content-Security-Policy (script-src 'self'), " + ", ".join(expected))
    checks += 1

    # 3. sign in through the form, as a browser would (CSRF token, Origin, Secure cookies)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if not token:
        fail("the login form has no CSRF token")
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1).decode(), "username": "smoke-manager",
                                   "password": password})
    response, _ = proxy.request("POST", "/login/", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Origin": f"https://{host}",
        "Referer": f"https://{host}/login/"})
    if response.status != 302 or "sessionid" not in proxy.cookies:
        fail(f"signing in failed: {response.status} {response.getheader('Location')}")
    ok(f"POST /login/ -> 302 {response.getheader('Location')} with a Secure session cookie")
    checks += 1

    # 4. open a page as the signed-in manager
    response, body = proxy.request("GET", "/sla/")
    if response.status != 200 or b"smoke-manager" not in body:
        fail(f"GET /sla/ answered {response.status} (signed in: {b'smoke-manager' in body})")
    ok(f"GET /sla/ 200 ({len(body)} bytes), signed in as smoke-manager")
    checks += 1

    # 5. a hashed static file, compressed by whitenoise
    css = re.search(rb'href="(/static/vendor/bootstrap/bootstrap\.min\.[0-9a-f]{12}\.css)"', body)
    if not css:
        fail("the page does not link a hashed bootstrap.min.css (is the manifest storage on?)")
    path = css.group(1).decode()
    plain_response, plain_body = proxy.request("GET", path, headers={"Accept-Encoding": "identity"})
    for encoding in ("br", "gzip"):
        response, data = proxy.request("GET", path, headers={"Accept-Encoding": encoding})
        got = response.getheader("Content-Encoding")
        if response.status != 200 or got != encoding:
            fail(f"{path} with Accept-Encoding {encoding}: {response.status}, Content-Encoding {got}")
        if len(data) * 3 > len(plain_body):
            fail(f"{path} as {encoding} is {len(data)} bytes of {len(plain_body)}: not compressed")
        if "immutable" not in (response.getheader("Cache-Control") or ""):
            fail(f"{path} is not cached forever: {response.getheader('Cache-Control')}")
        ok(f"GET {path} Accept-Encoding {encoding}: {len(data)} of {len(plain_body)} bytes, "
           f"Cache-Control {response.getheader('Cache-Control')}")
        checks += 1

    # 6. the worker and beat: beat's first periodic task (every minute) runs on the worker via Redis
    print("== waiting for beat's first periodic task to run on the worker (up to 90 s)", flush=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        services.check_alive()
        sent = re.search(r"Sending due task \S+ \((\S+)\)", services.log("celery-beat"))
        if sent and re.search(rf"Task {re.escape(sent.group(1))}\[\S+\] succeeded", services.log("celery-worker")):
            ok(f"beat sent {sent.group(1)} and the worker ran it")
            checks += 1
            break
        time.sleep(1)
    else:
        fail("beat's first task did not run on the worker within 90 s:\n--- beat\n"
             f"{services.log('celery-beat')[-2000:]}\n--- worker\n{services.log('celery-worker')[-2000:]}")
    services.check_alive()
    return checks


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a scratch PostgreSQL database")
    parser.add_argument("--redis-url", required=True, help="a Redis database number nothing else uses")
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port (default: a free one)")
    args = parser.parse_args()
    logdir = Path(tempfile.mkdtemp(prefix="production-smoke-"))
    services = Services(logdir)
    try:
        checks = smoke(args, services)
    finally:
        services.stop()
    print(f"production smoke passed: {checks} checks (logs in {logdir})")


if __name__ == "__main__":
    main()
