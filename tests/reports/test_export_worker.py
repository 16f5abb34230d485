"""A real Celery worker over Redis builds an export requested through the page; progress reaches 100."""
import io

import pytest

from reports.models import ReportExport
from tests.conftest import wait_for




@pytest.fixture
def export_worker(real_worker, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the worker writes the export file here
    return real_worker


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_worker_builds_the_export(export_worker, month_data, client_for):
    from openpyxl import load_workbook

    client = client_for("supervisor")
    r = client.post("/reports/exports/new/", {"table": "tickets_detail", "fmt": "xlsx", "period": "month",
                                              "date": "2026-11-01"})
    export = ReportExport.objects.get()
    assert r.url == f"/reports/exports/{export.pk}/"
    assert wait_for(lambda: ReportExport.objects.get(pk=export.pk).status == "done")
    export.refresh_from_db()
    assert (export.progress, export.row_count) == (100, 7) and export.finished_at is not None
    body = b"".join(client.get(f"/reports/exports/{export.pk}/download/").streaming_content)
    assert load_workbook(io.BytesIO(body)).active.max_row == 8
