"""Real Celery processes for fault tests: workers and beats as subprocesses on the test database.

Each process gets the environment a deployment would: DATABASE_URL of the test database, the Redis
broker, and the counting transports of tests/outbox_transport.py, so deliveries made in another
process can be counted from the test.
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def process_env(*, broker: str, log: str, **extra) -> dict:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": broker,
        "EMAIL_BACKEND": "tests.outbox_transport.EmailBackend",
        "SURVEY_DELIVERY_BACKEND": "tests.outbox_transport.SmsBackend",
        "SMS_DELIVERY_BACKEND": "tests.outbox_transport.SmsBackend",
        "OUTBOX_TEST_LOG": log,
        "DB_CONN_MAX_AGE": "0",
        "PYTHONPATH": str(ROOT),
        "LOG_LEVEL": "WARNING",
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


def start(args: list[str], env: dict, logfile) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "servicedesk", *args], cwd=ROOT, env=env,
                            stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True)


def start_worker(env: dict, logfile, name: str) -> subprocess.Popen:
    return start(["worker", "--pool=solo", "--without-heartbeat", "--without-mingle", "--without-gossip",
                  "-n", f"{name}@%h", "--loglevel=WARNING"], env, logfile)


def stop(proc: subprocess.Popen, sig=signal.SIGTERM, timeout: float = 30) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def wait_for(predicate, timeout: float = 90, interval: float = 0.25) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(interval)
    return False
