"""The report's front-desk load from the contacts' hourly counts (PostgreSQL): the same totals, channels and hours of
day as counting the contacts, after every way a contact is written, for every team and period shape, and the counts
equal to a recount."""
import random
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from customers import contact_sql
from customers.models import Channel, Contact, ContactHourCount
from reports import selectors as report_selectors
from reports.periods import Period
from servicedesk.models import StaffProfile, Team

from .conftest import MONTH_EDGES, random_two_months

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
SH = ZoneInfo("Asia/Shanghai")
NOV = Period("month", date(2026, 11, 1), date(2026, 11, 30))
PERIODS = [NOV, Period("week", date(2026, 11, 9), date(2026, 11, 15)), Period("day", date(2026, 11, 3), date(2026, 11, 3)),
           Period("custom", date(2026, 10, 20), date(2026, 11, 12))]


def _recount() -> dict:
    insert = contact_sql.backfill_sql()[1]
    with connection.cursor() as cursor:
        cursor.execute(insert[insert.index("SELECT"):])
        return {tuple(r[:4]): r[4] for r in cursor.fetchall()}


def _assert_equal(teams):
    kept = {(r.hour, r.handled_by_key, r.channel, r.direction): r.n for r in ContactHourCount.objects.exclude(n=0)}
    assert kept == _recount()
    for team in (*teams, None):
        for period in PERIODS:
            assert (report_selectors._contact_figures(period, team)
                    == report_selectors._contact_figures(period, team, source="direct")), (team, period)
    return report_selectors._contact_figures(NOV, None)


@pytest.fixture
def contacts(db):
    """~150 contacts over October and November at random moments (month ends included), handled by three people:
    two teams and none."""
    rnd = random.Random(17)
    teams = [Team.objects.create(name="North"), Team.objects.create(name="South")]
    users = [get_user_model().objects.create(username=f"desk{i}") for i in range(3)]
    for user, team in zip(users, [*teams, None]):
        StaffProfile.objects.create(user=user, team=team)
    moments = [*MONTH_EDGES, *random_two_months(rnd, 150)]
    Contact.objects.bulk_create([
        Contact(caller_name=f"c{i}", channel=rnd.choice(Channel.values), direction=rnd.choice(Contact.Direction.values),
                handled_by=rnd.choice(users), started_at=at) for i, at in enumerate(moments)])
    return {"teams": teams, "users": users, "contacts": list(Contact.objects.order_by("id"))}


def test_the_counts_give_the_contact_figures_after_every_kind_of_write(contacts):
    teams, users, rows = contacts["teams"], contacts["users"], contacts["contacts"]
    before = _assert_equal(teams)
    assert before[0]["total"] > 40 and before[1]["total"] > 40

    Contact.objects.filter(pk__in=[c.pk for c in rows[::4]]).update(channel=Channel.WALK_IN)
    Contact.objects.filter(pk__in=[c.pk for c in rows[1::5]]).update(direction=Contact.Direction.OUTBOUND)
    Contact.objects.filter(pk__in=[c.pk for c in rows[2::6]]).update(started_at=F("started_at") - timedelta(hours=9))
    Contact.objects.filter(pk__in=[c.pk for c in rows[3::7]]).update(handled_by=users[2])
    c = Contact.objects.get(pk=rows[5].pk)
    c.notes = "called back"  # a save of the whole row that changes nothing counted
    c.save()
    Contact.objects.filter(pk__in=[c.pk for c in rows[6::9]]).delete()
    StaffProfile.objects.filter(user=users[0]).update(team=teams[1])  # a handler moves team: read as now, both ways
    after = _assert_equal(teams)
    assert after != before


def test_the_section_is_the_same_from_the_counts_and_from_the_contacts_in_one_query(contacts, monkeypatch):
    for team in (None, contacts["teams"][0]):
        with CaptureQueriesContext(connection) as q:
            from_counts = report_selectors.contacts_section(period=NOV, team=team)
        assert len(q.captured_queries) == 1 and contact_sql.TABLE in q.captured_queries[0]["sql"]
        original = report_selectors._contact_figures
        monkeypatch.setattr(report_selectors, "_contact_figures",
                            lambda period, team: original(period, team, source="direct"))
        assert report_selectors.contacts_section(period=NOV, team=team) == from_counts
        monkeypatch.undo()


def test_a_period_off_whole_utc_hours_is_counted_from_the_contacts(contacts, settings):
    settings.TIME_ZONE = "Asia/Kolkata"
    with CaptureQueriesContext(connection) as q:
        report_selectors.contacts_section(period=NOV)
    assert len(q.captured_queries) == 4 and all(contact_sql.TABLE not in x["sql"] for x in q.captured_queries)


def test_a_flush_leaves_the_counts_empty_not_negative(contacts):
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {contact_sql.TABLE}")
    Contact.objects.all().delete()
    assert not ContactHourCount.objects.exists()
