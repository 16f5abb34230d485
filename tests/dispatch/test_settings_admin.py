"""A manager edits the dispatch rules in the admin: caps, tiers, the levels per tier, peak seasons."""
from decimal import Decimal

import pytest

from dispatch.models import DispatchSettings

pytestmark = pytest.mark.django_db


def _form(**over):
    data = {
        "daily_cap": 3, "weekly_cap": 8, "open_cap_off_season": 2, "open_cap_peak": 5, "offer_timeout_minutes": 20,
        "default_resolution_hours": 48, "medium_threshold": "30000", "large_threshold": "50000",
        "small_levels": ["junior", "senior"], "medium_levels": ["senior", "chief"], "large_levels": ["chief"],
        "peak_seasons-TOTAL_FORMS": 1, "peak_seasons-INITIAL_FORMS": 0, "peak_seasons-MIN_NUM_FORMS": 0,
        "peak_seasons-MAX_NUM_FORMS": 1000, "peak_seasons-0-name": "Summer", "peak_seasons-0-start": "2026-06-01",
        "peak_seasons-0-end": "2026-08-31",
    }
    data.update(over)
    return data


def test_manager_edits_dispatch_rules(client, personas):
    manager = personas.manager
    manager.is_staff = True
    manager.save()
    client.force_login(manager)
    DispatchSettings.load()
    url = "/admin/dispatch/dispatchsettings/1/change/"
    assert client.get(url).status_code == 200
    response = client.post(url, _form())
    assert response.status_code == 302, response.content.decode()[:2000]
    s = DispatchSettings.load()
    assert (s.daily_cap, s.offer_timeout_minutes, s.small_levels) == (3, 20, ["junior", "senior"])
    assert s.open_cap(__import__("datetime").date(2026, 7, 1)) == 5
    assert s.tier_for(Decimal("31000")) == "medium"
    # thresholds out of order are refused with a message, nothing saved
    bad = client.post(url, _form(large_threshold="1000", **{"peak_seasons-TOTAL_FORMS": 0}))
    assert bad.status_code == 200 and "cannot be below" in bad.content.decode()


def test_supervisor_cannot_edit_dispatch_rules(client, personas):
    supervisor = personas.supervisor
    supervisor.is_staff = True
    supervisor.save()
    client.force_login(supervisor)
    DispatchSettings.load()
    assert client.get("/admin/dispatch/dispatchsettings/1/change/").status_code == 403
