"""Transports that record every send in a file, so separate worker processes can be counted.

Set OUTBOX_TEST_LOG (environment) to a file path; each send appends one JSON line
{"channel", "to", "key", "subject", "pid"} with O_APPEND (atomic for lines this short). A test then
counts deliveries per idempotency key: "exactly once" is one distinct key per message, each seen
at least once, and any repeat of a key is a crash-retry the receiver can drop.
"""
import json
import os
import time

from django.core.mail.backends.base import BaseEmailBackend


def _log(record: dict) -> None:
    path = os.environ.get("OUTBOX_TEST_LOG")
    if not path:
        raise RuntimeError("OUTBOX_TEST_LOG is not set")
    line = (json.dumps({**record, "pid": os.getpid(), "at": time.time()}) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
    delay = float(os.environ.get("OUTBOX_TEST_SEND_DELAY", "0"))
    if delay:
        time.sleep(delay)


def read_log(path) -> list[dict]:
    try:
        with open(path) as fh:
            return [json.loads(line) for line in fh if line.strip()]
    except FileNotFoundError:
        return []


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        for message in email_messages:
            _log({"channel": "email", "to": message.to[0], "key": message.extra_headers.get("X-Idempotency-Key", ""),
                  "subject": message.subject})
        return len(email_messages)


class SmsBackend:
    channel = "sms"

    def send(self, to, text, *, subject="", idempotency_key=""):
        _log({"channel": "sms", "to": to, "key": idempotency_key, "subject": text[:60]})


class MemorySms:
    """In-process SMS gateway for single-process tests: class-level list of (to, text, key)."""

    channel = "sms"
    sent: list = []

    def send(self, to, text, *, subject="", idempotency_key=""):
        MemorySms.sent.append((to, text, idempotency_key))
