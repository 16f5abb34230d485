import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

FILE_EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


def child_environment(*, host: str, port: str, environ=None) -> dict:
    """The environment of the web server and worker `runall` starts (issue 11 items 4 and 10):

    * SITE_URL: links sent outside the app (survey and status links, report e-mails) use the address
      actually served — `PORT=8101 make run` → http://127.0.0.1:8101 — unless SITE_URL is set.
    * EMAIL_BACKEND: unless set, e-mails are written as files under var/mail instead of printed, so
      the first sweep's e-mails do not bury the URL and logins in the terminal.
    """
    env = dict(os.environ if environ is None else environ)
    env.setdefault("PYTHONUNBUFFERED", "1")  # their lines reach the terminal in the order they happen
    if not env.get("SITE_URL"):
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        env["SITE_URL"] = f"http://{shown}:{port}"
    if not env.get("EMAIL_BACKEND"):
        env["EMAIL_BACKEND"] = FILE_EMAIL_BACKEND
        env.setdefault("EMAIL_FILE_PATH", str(settings.EMAIL_FILE_PATH))
    return env


def banner(*, url: str, env: dict, worker_log: Path) -> list[str]:
    """What `make run` prints last, once the web server answers: where to go and how to sign in."""
    lines = [
        f"Broker: {settings.CELERY_BROKER_URL}   Database: {settings.DATABASES['default']['ENGINE']}",
        f"Worker and beat log: {worker_log}",
    ]
    if env.get("EMAIL_BACKEND") == FILE_EMAIL_BACKEND:
        lines.append(f"E-mails are written to files in {env['EMAIL_FILE_PATH']} (set EMAIL_BACKEND to send them).")
    lines += [
        "Press Ctrl-C to stop the web server, the worker and beat.",
        "",
        f"ServiceDesk is running at {url}",
        "Demo logins (password: demo): frontdesk, agent, supervisor, technician, manager",
    ]
    return lines


def wait_until_listening(host: str, port: int, *, timeout: float = 60.0, proc=None) -> bool:
    deadline = time.time() + timeout
    target = "127.0.0.1" if host in ("0.0.0.0", "") else host
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection((target, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


class Command(BaseCommand):
    help = "Run the web server and a Celery worker with beat together; Ctrl-C stops them all."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args, host, port, **options):
        python = sys.executable
        env = child_environment(host=host, port=str(port))
        log_dir = Path(settings.VAR_DIR) / "log"
        log_dir.mkdir(parents=True, exist_ok=True)
        worker_log = log_dir / "celery.log"
        commands = {
            "web": [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
            # One process runs the worker and beat: --pool=solo suits the embedded filesystem broker.
            "celery": [
                python, "-m", "celery", "-A", "servicedesk", "worker", "-B", "--pool=solo",
                "--loglevel=INFO", "--schedule", settings.CELERY_BEAT_SCHEDULE_FILENAME,
            ],
        }
        # The worker's log goes to a file: its start-up banner and task lines would otherwise scroll
        # the URL and logins away. The web server's request log stays in the terminal.
        with open(worker_log, "ab") as worker_out:
            procs = {
                "celery": subprocess.Popen(commands["celery"], env=env, stdout=worker_out, stderr=subprocess.STDOUT),
                "web": subprocess.Popen(commands["web"], env=env),
            }
        url = f"{env['SITE_URL']}/"
        if wait_until_listening(host, int(port), proc=procs["web"]):
            self.stdout.write("\n" + "\n".join(banner(url=url, env=env, worker_log=worker_log)[:-2]))
            last = banner(url=url, env=env, worker_log=worker_log)[-2:]
            self.stdout.write(self.style.SUCCESS(last[0]))
            self.stdout.write(last[1] + "\n")
            self.stdout.flush()

        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                for name, proc in procs.items():
                    if proc.poll() is not None:
                        self.stderr.write(f"{name} exited with code {proc.returncode}; stopping the rest.")
                        stopping = True
                time.sleep(0.5)
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.terminate()
            deadline = time.time() + 10
            for proc in procs.values():
                try:
                    proc.wait(timeout=max(0.1, deadline - time.time()))
                except subprocess.TimeoutExpired:
                    proc.kill()
        self.stdout.write("Stopped.")
