"""SLA fixtures: tickets opened through the tickets service at pinned times, and calendars."""
import pytest


@pytest.fixture
def open_ticket(personas, customer_factory):
    """open_ticket(kind=..., priority=..., tier=..., now=...) → a ticket opened through the service."""
    from tickets.services import ticket_create

    def _open(*, kind="repair", priority=2, tier="basic", channel="phone", now, team=None, assignee=None, customer=None):
        customer = customer or customer_factory(tier=tier)
        return ticket_create(
            customer=customer, kind=kind, subject="Washer leaks", created_by=personas.frontdesk, channel=channel,
            priority=priority, team=team, assignee=assignee, now=now,
        )

    return _open


@pytest.fixture
def default_calendar(db):
    from sla.calendars import default_calendar as get

    return get()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Personas are created with a password; the default PBKDF2 costs ~0.5 s a user on this box.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _sla_defaults_after_flush(request):
    """Transactional tests (ours and other apps') flush the tables, including the calendar and the
    default policies that the data migration installed: put them back (idempotent)."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return
    request.getfixturevalue("transactional_db")
    from django.utils import timezone

    from sla.defaults import install_china_calendar, install_policies
    from sla.models import BusinessCalendar, BusinessHours, CalendarDay, SLAPolicy, SLATarget

    year = timezone.localdate().year
    install_china_calendar(BusinessCalendar, BusinessHours, CalendarDay, years=[year, year + 1])
    install_policies(SLAPolicy, SLATarget)
    from tests.conftest import install_test_calendar_years

    install_test_calendar_years()


@pytest.fixture(autouse=True)
def _no_dashboard_cache(settings):
    # Each test builds its own data: a figure cached by an earlier test would hide it.
    settings.SLA_DASHBOARD_CACHE_SECONDS = 0
