"""The report's counts read as counts in Chinese, not as times or ticket states (issue 11 item 6).

"Opened" on the report is a number of tickets (新建数); on a ticket it is a time (受理时间). Before the
words had contexts, the ticket's translation won in the merged catalogue and the report said 受理时间.
"""
import pytest

pytestmark = pytest.mark.django_db

NOV = {"period": "month", "date": "2026-11-01"}


def test_report_counts_are_labelled_as_counts_in_chinese(month_data, client_for):
    page = client_for("manager").get("/reports/", NOV, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    for label in ("新建数", "解决数", "关闭数", "应回访数"):
        assert label in page
    assert "受理时间" not in page and "解决时间" not in page


def test_report_counts_in_english(month_data, client_for):
    page = client_for("manager").get("/reports/", NOV, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ">Opened<" in page or "Opened" in page
    assert "新建数" not in page


@pytest.mark.parametrize("lang, parts, faults", [
    ("en", "Parts used (top 10)", "Recurring faults (top 10)"),
    ("zh-hans", "已用备件（前 10 名）", "重复故障（前 10 名）"),
])
def test_the_top_ten_tables_say_they_show_the_top_ten(lang, parts, faults, month_data, client_for):
    """Lists never cut silently: the parts and faults tables show ten rows at most, and their titles say so."""
    page = client_for("manager").get("/reports/", NOV, HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    assert parts in page and faults in page
