"""A throw-away IMAP server (Debian's dovecot) for the e-mail intake tests and ``bench_mailin``.

Plain IMAP on a free loopback port, passwd-file users, maildirs in a temporary directory; run in the
foreground as a child process and stopped by the caller. Not used in production.
"""
import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path

DOVECOT = os.environ.get("DOVECOT_PATH", "/usr/sbin/dovecot")

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


class DovecotMissing(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_dovecot(root: Path, users: dict[str, str]) -> tuple[subprocess.Popen, int]:
    """Start dovecot under ``root`` with these users (address → password); (process, port)."""
    if not os.path.exists(DOVECOT):
        raise DovecotMissing("IMAP server (dovecot): apt-get install dovecot-imapd")
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
    (root / "passwd").write_text("".join(f"{u}:{{PLAIN}}{p}\n" for u, p in users.items()))
    port = free_port()
    conf = root / "dovecot.conf"
    conf.write_text(CONFIG.format(root=root, uid=uid, gid=gid, port=port))
    proc = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise DovecotMissing(f"IMAP server (dovecot) did not start: {proc.stderr.read().decode()[:300]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(100).startswith(b"* OK"):
                    return proc, port
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise DovecotMissing("IMAP server (dovecot) did not answer within 15 s")


def stop_dovecot(proc: subprocess.Popen, root: Path) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    shutil.rmtree(root, ignore_errors=True)


