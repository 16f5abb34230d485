"""A real Celery worker over Redis builds an export requested through the page; progress reaches 100."""
import io
import os
import time

import pytest

from reports.models import ReportExport
from tests.conftest import service_missing


@pytest.fixture
def real_worker(settings, tmp_path):
    url = os.environ.get("REDIS_URL")
    if not url:
        service_missing("REDIS_URL not set: the real-worker test needs Redis")
    from celery.contrib.testing.worker import start_worker

    from servicedesk.celery import app

    settings.MEDIA_ROOT = tmp_path
    app.conf.task_always_eager = False
    old = app.conf.broker_url
    app.conf.broker_url = url
    app.conf.result_backend = None
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
            yield app
    finally:
        app.conf.broker_url = old
        app.conf.task_always_eager = True


def _wait_for(predicate, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_worker_builds_the_export(real_worker, month_data, client_for):
    from openpyxl import load_workbook

    client = client_for("supervisor")
    r = client.post("/reports/exports/new/", {"table": "tickets_detail", "fmt": "xlsx", "period": "month",
                                              "date": "2026-11-01"})
    export = ReportExport.objects.get()
    assert r.url == f"/reports/exports/{export.pk}/"
    assert _wait_for(lambda: ReportExport.objects.get(pk=export.pk).status == "done")
    export.refresh_from_db()
    assert (export.progress, export.row_count) == (100, 7) and export.finished_at is not None
    body = b"".join(client.get(f"/reports/exports/{export.pk}/download/").streaming_content)
    assert load_workbook(io.BytesIO(body)).active.max_row == 8
