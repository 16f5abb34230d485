"""Review finding: the ticket-rows export shows each team's display name in the reader's language
(servicedesk/lookups.py), not the stored Chinese name; one query however many teams."""
import csv
import io

import pytest
from django.utils import translation

from reports import selectors
from reports.models import ReportExport
from reports.periods import period_containing
from servicedesk.models import Team
from tickets.models import Ticket

from .conftest import L

pytestmark = pytest.mark.django_db
NOV = {"period": "month", "date": "2026-11-01"}


@pytest.fixture
def named_teams(month_data):
    """T-001/T-002 in a team with both names, T-003 in a team with only its Chinese name."""
    Team.objects.filter(name="Repairs").update(name="维修组", name_en="Repairs")
    hotline = Team.objects.create(name="热线组")
    Ticket.objects.filter(number="T-003").update(team=hotline)
    return month_data


def team_by_number(rows) -> dict:
    return {row[0]: row[6] for row in rows}


@pytest.mark.parametrize("lang, repairs, hotline", [("en", "Repairs", "热线组"), ("zh-hans", "维修组", "热线组")])
def test_detail_rows_show_the_team_display_name_in_one_query(named_teams, django_assert_num_queries, lang, repairs,
                                                             hotline):
    period = period_containing("month", L(11, 15).date())
    with translation.override(lang), django_assert_num_queries(1):
        teams = team_by_number(selectors.tickets_detail_rows(period=period))
    assert teams["T-001"] == repairs and teams["T-002"] == repairs
    assert teams["T-003"] == hotline  # no English name: the Chinese one, in either language
    assert teams["T-004"] is None  # no team


@pytest.mark.parametrize("lang, header, repairs", [("en", "Team", "Repairs"), ("zh-hans", None, "维修组")])
def test_csv_export_in_the_requesters_language(named_teams, client_for, django_capture_on_commit_callbacks, tmp_path,
                                               settings, lang, header, repairs):
    settings.MEDIA_ROOT = tmp_path
    client = client_for("manager")
    client.cookies["django_language"] = lang
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/reports/exports/new/", {"table": "tickets_detail", "fmt": "csv", **NOV}).status_code == 302
    export = ReportExport.objects.latest("id")
    assert export.status == "done" and export.params["lang"] == lang
    body = b"".join(client.get(f"/reports/exports/{export.pk}/download/").streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    if header:
        assert rows[0][6] == header
    teams = team_by_number(rows[1:])
    assert teams["T-001"] == repairs and teams["T-003"] == "热线组"


def test_an_export_is_of_the_period_on_screen_not_of_this_month(named_teams, client_for, tmp_path, settings,
                                                                django_capture_on_commit_callbacks):
    """The export buttons post the report's period in the form body. It was read from the query string
    only, so last month's export held this month's tickets (the tests passed only while "this month"
    was the month they exported). Exporting November in December must give November."""
    import time_machine

    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(L(12, 15, 10), tick=False):
        client = client_for("manager")
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post("/reports/exports/new/", {"table": "tickets_detail", "fmt": "csv", **NOV}).status_code == 302
        export = ReportExport.objects.latest("id")
        body = b"".join(client.get(f"/reports/exports/{export.pk}/download/").streaming_content).decode("utf-8-sig")
    assert (export.params["date"], export.params["end"]) == ("2026-11-01", "2026-11-30")
    assert {"T-001", "T-003"} <= set(team_by_number(list(csv.reader(io.StringIO(body)))[1:]))
