"""A real IMAP server for the e-mail intake tests: Debian's dovecot with a throw-away config.

Started once per test session on a free loopback port (plain IMAP, passwd-file users, maildirs in a
temporary directory), emptied before each test, stopped at the end. Mail is put in with imaplib
APPEND, as a mail server would deliver it.
"""
import imaplib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import service_missing

DOVECOT = os.environ.get("DOVECOT_PATH", "/usr/sbin/dovecot")
USERS = {"service@test": "secret", "other@test": "secret2"}

CONFIG = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ImapServer:
    host: str
    port: int
    root: Path

    def connect(self, user: str = "service@test") -> imaplib.IMAP4:
        conn = imaplib.IMAP4(self.host, self.port, timeout=30)
        conn.login(user, USERS[user])
        return conn

    def deliver(self, raw: bytes, *, user: str = "service@test", folder: str = "INBOX") -> None:
        conn = self.connect(user)
        try:
            typ, data = conn.append(folder, None, None, raw)
            assert typ == "OK", data
        finally:
            conn.logout()

    def uids(self, criteria: str = "ALL", *, user: str = "service@test", folder: str = "INBOX") -> list[bytes]:
        conn = self.connect(user)
        try:
            typ, data = conn.select(f'"{folder}"', readonly=True)
            if typ != "OK":
                return []
            return conn.uid("SEARCH", None, criteria)[1][0].split()
        finally:
            conn.logout()

    def empty(self) -> None:
        for user in USERS:
            conn = self.connect(user)
            try:
                for line in conn.list()[1]:
                    match = re.search(r'\) "." "?([^"]*)"?$', line.decode())
                    if match is None:
                        continue
                    name = match.group(1)
                    typ, data = conn.select(f'"{name}"')
                    if typ == "OK" and int(data[0] or 0) > 0:
                        conn.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
                        conn.expunge()
                    if typ == "OK":
                        conn.close()
            finally:
                conn.logout()


def start_dovecot(root: Path) -> tuple[subprocess.Popen, int]:
    if not os.path.exists(DOVECOT):
        service_missing("IMAP server (dovecot): apt-get install dovecot-imapd")
    # Dovecot refuses to open mail as root: as root the mail belongs to "nobody".
    if os.getuid() == 0:
        entry = pwd.getpwnam("nobody")
        uid, gid = entry.pw_uid, entry.pw_gid
    else:
        uid, gid = os.getuid(), os.getgid()
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)
    if os.getuid() == 0:
        os.chown(root / "mail", uid, gid)
    (root / "passwd").write_text("".join(f"{u}:{{PLAIN}}{p}\n" for u, p in USERS.items()))
    port = free_port()
    conf = root / "dovecot.conf"
    conf.write_text(CONFIG.format(root=root, uid=uid, gid=gid, port=port))
    proc = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            service_missing(f"IMAP server (dovecot) did not start: {proc.stderr.read().decode()[:300]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(100).startswith(b"* OK"):
                    return proc, port
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    service_missing("IMAP server (dovecot) did not answer within 15 s")


def stop_dovecot(proc: subprocess.Popen, root: Path) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def imap_server_session():
    # Not pytest's tmp_path: its parent is private to root, and dovecot reads mail as "nobody".
    root = Path(tempfile.mkdtemp(prefix="mailin-dovecot-"))
    proc, port = start_dovecot(root)
    yield ImapServer(host="127.0.0.1", port=port, root=root)
    stop_dovecot(proc, root)


@pytest.fixture
def imap_server(imap_server_session):
    imap_server_session.empty()
    yield imap_server_session


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def mailbox(db, imap_server):
    from mailin.models import Mailbox

    return Mailbox.objects.create(name="Service", host=imap_server.host, port=imap_server.port,
                                  security=Mailbox.Security.PLAIN, username="service@test", password="secret")
