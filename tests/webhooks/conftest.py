"""A real HTTP receiver on 127.0.0.1 (port 0) that records every request and answers as it is told."""
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    path: str
    headers: object  # http.client.HTTPMessage: header names are case-insensitive, as in HTTP
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    requests: list = field(default_factory=list)
    # What to answer next: a list of (status, delay seconds); the last one repeats.
    script: list = field(default_factory=lambda: [(200, 0)])
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, *steps) -> None:
        """answer(500, 200): first 500, then 200 for ever; answer((200, 3)): 200 after 3 s."""
        self.script = [s if isinstance(s, tuple) else (s, 0) for s in steps]

    def _next(self):
        with self.lock:
            step = self.script[0]
            if len(self.script) > 1:
                self.script.pop(0)
            return step

    def events(self, name: str) -> list:
        return [r for r in self.requests if r.headers.get("X-ServiceDesk-Event") == name]


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            status, delay = receiver._next()
            with receiver.lock:
                receiver.requests.append(Received(self.path, self.headers, body))
            if delay:
                time.sleep(delay)
            reply = json.dumps({"got": status}).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
            except (BrokenPipeError, ConnectionResetError):  # the sender timed out and went away
                pass

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def receiver():
    receiver = Receiver(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True  # the receiver is on loopback
    settings.WEBHOOKS_TIMEOUT_SECONDS = 2


@pytest.fixture
def make_webhook(personas, receiver):
    from webhooks.services import webhook_create

    def _make(events=("ticket.opened",), url=None, name="ERP"):
        return webhook_create(name=name, url=url or receiver.url, events=list(events), created_by=personas.manager)

    return _make
