"""A real IMAP server for the e-mail intake tests: Debian's dovecot with a throw-away config.

Started once per test session on a free loopback port (plain IMAP, passwd-file users, maildirs in a
temporary directory), emptied before each test, stopped at the end. Mail is put in with imaplib
APPEND, as a mail server would deliver it.
"""
import imaplib
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from mailin.testserver import DovecotMissing, free_port, start_dovecot, stop_dovecot  # noqa: F401
from tests.conftest import service_missing

USERS = {"service@test": "secret", "other@test": "secret2"}


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


@pytest.fixture(scope="session")
def imap_server_session():
    # Not pytest's tmp_path: its parent is private to root, and dovecot reads mail as "nobody".
    root = Path(tempfile.mkdtemp(prefix="mailin-dovecot-"))
    try:
        proc, port = start_dovecot(root, USERS)
    except DovecotMissing as exc:
        shutil.rmtree(root, ignore_errors=True)
        service_missing(str(exc))
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
