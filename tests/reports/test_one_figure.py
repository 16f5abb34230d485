"""One figure per fact (issue 11 item 1): the same data gives the same SLA compliance on the SLA
dashboard, the report page, the report's export and the scheduled report e-mail — rendered, not
recomputed. The month holds a clock still running past its deadline (never swept): every surface
counts it as missed (the old report counted only clocks that stopped in the period: 3 of 4 = 75 %)."""
import csv
import io

import pytest
import time_machine
from django.core import mail

from reports.models import ReportExport
from reports.services import deliveries_send_due, subscription_create

from .conftest import L

pytestmark = pytest.mark.django_db
NOW = L(11, 30, 12)  # after t5's first-response deadline (21 Nov 09:00); t5 never answered, never swept


def test_same_sla_compliance_on_dashboard_report_export_and_email(month_data, client_for, personas,
                                                                  django_capture_on_commit_callbacks, tmp_path,
                                                                  settings):
    settings.MEDIA_ROOT = tmp_path
    settings.SLA_DASHBOARD_CACHE_SECONDS = 0
    with time_machine.travel(NOW, tick=False):
        # the supervisor's dashboard
        dash = client_for("supervisor").get("/sla/", {"start": "2026-11-01", "end": "2026-11-30"})
        first = next(t for t in dash.context["targets"] if t["key"] == "first_response")["all"]
        resolution = next(t for t in dash.context["targets"] if t["key"] == "resolution")["all"]
        assert "including those still running past their deadline" in dash.content.decode()
        # the manager's report page
        manager = client_for("manager")
        page = manager.get("/reports/", {"period": "month", "date": "2026-11-01"})
        row = page.context["data"]["sla"]["targets"][0]
        assert "including those still running past their deadline" in page.content.decode()
        # its export
        with django_capture_on_commit_callbacks(execute=True):
            manager.post("/reports/exports/new/", {"table": "sla_by_target", "fmt": "csv", "period": "month",
                                                   "date": "2026-11-01"})
        export = ReportExport.objects.latest("id")
        body = b"".join(manager.get(f"/reports/exports/{export.pk}/download/").streaming_content)
        exported = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[1]
    # the scheduled e-mail for November (sent on 1 December: t5 is still running past its deadline)
    settings.SLA_DASHBOARD_CACHE_SECONDS = 0
    personas.supervisor.email = "sup@example.com"
    personas.supervisor.save()
    subscription_create(user=personas.supervisor, frequency="month", sections=["sla"], created_by=personas.manager,
                        now=L(10, 1, 9))
    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries_send_due(now=L(12, 1, 7)) == 1
    from servicedesk.outbox import outbox_deliver

    outbox_deliver(now=L(12, 1, 7))  # the report e-mail is an outbox row; the outbox sends it
    text = mail.outbox[-1].body

    # then: 3 met of 5 due (t4 late, t5 still running past its deadline) — everywhere
    assert (first["met"], first["total"], first["pct"]) == (3, 5, 60.0)
    assert (row["met"], row["met"] + row["breached"], row["compliance"]) == (3, 5, 60.0)
    assert exported[:3] == ["First response", "3", "2"] and float(exported[3]) == 60.0
    assert "First response compliance (%): 60.0" in text
    assert (resolution["met"], resolution["total"], resolution["pct"]) == (1, 2, 50.0)
    assert "Resolution compliance (%): 50.0" in text
    assert "including those still running past their deadline" in text
