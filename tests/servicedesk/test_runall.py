"""`make run` (runall): links sent outside point at the address actually served, and the e-mails of
the first sweep do not bury the URL and logins (issue 11 items 4 and 10)."""
import subprocess
import sys
from pathlib import Path

import pytest

from servicedesk.management.commands.runall import FILE_EMAIL_BACKEND, banner, child_environment

ROOT = Path(__file__).resolve().parents[2]


def test_port_8101_makes_links_point_at_8101_unless_site_url_is_set():
    env = child_environment(host="127.0.0.1", port="8101", environ={"PATH": "/usr/bin"})
    assert env["SITE_URL"] == "http://127.0.0.1:8101"
    kept = child_environment(host="127.0.0.1", port="8101", environ={"SITE_URL": "https://desk.example.com"})
    assert kept["SITE_URL"] == "https://desk.example.com"
    assert child_environment(host="0.0.0.0", port="9000", environ={})["SITE_URL"] == "http://127.0.0.1:9000"


def test_demo_emails_go_to_files_unless_a_backend_is_chosen(tmp_path):
    env = child_environment(host="127.0.0.1", port="8000", environ={})
    assert env["EMAIL_BACKEND"] == FILE_EMAIL_BACKEND and env["EMAIL_FILE_PATH"].endswith("mail")
    smtp = "django.core.mail.backends.smtp.EmailBackend"
    assert child_environment(host="h", port="1", environ={"EMAIL_BACKEND": smtp})["EMAIL_BACKEND"] == smtp


def test_the_url_and_logins_are_the_last_lines():
    env = child_environment(host="127.0.0.1", port="8101", environ={})
    lines = banner(url="http://127.0.0.1:8101/", env=env, worker_log=Path("var/log/celery.log"))
    assert lines[-2] == "ServiceDesk is running at http://127.0.0.1:8101/"
    assert lines[-1].startswith("Demo logins (password: demo): frontdesk, agent, supervisor")


@pytest.mark.slow
def test_a_survey_link_made_by_a_process_runall_starts_points_at_its_port(tmp_path):
    # given the environment runall gives the worker for PORT=8101 (the worker sends survey links)
    env = child_environment(host="127.0.0.1", port="8101", environ={
        k: v for k, v in __import__("os").environ.items() if k != "SITE_URL"})
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    code = ("from django.conf import settings; from unittest import mock; from followups import services; "
            "inv = mock.Mock(language='en', ticket_id=None); "
            "mock.patch.object(services, 'survey_token', return_value='tok').start(); "
            "print(services.survey_message(inv))")
    out = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    # then the link in the message is on :8101
    assert "http://127.0.0.1:8101/" in out.stdout, out.stderr[-2000:]
