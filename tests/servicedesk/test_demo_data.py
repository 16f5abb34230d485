"""`make run` loads demo data every time: the second load must add nothing (issue 2)."""
import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone


def _row_counts():
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label
        in {"servicedesk", "customers", "tickets", "sla", "dispatch", "knowledge", "followups", "reports", "auth"}
        and not model._meta.label.startswith("auth.Permission")
    }


@pytest.mark.django_db
@pytest.mark.slow
def test_demo_data_loads_every_area_and_a_second_load_adds_nothing(settings, tmp_path):
    # given
    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path
    # The clock stands still: otherwise SLA escalations that fall due between the two loads
    # would (rightly) fire and look like duplicates.
    with time_machine.travel(timezone.now(), tick=False):
        call_command("load_demo", customers=60, verbosity=0)
        first = _row_counts()
        # when
        call_command("load_demo", customers=60, verbosity=0)
        # then
        assert _row_counts() == first
    for label in ("customers.Customer", "customers.Asset", "tickets.Ticket", "auth.User"):
        assert first[label] > 0, label
    # work goes to people who can do it: no demo callback belongs to someone who cannot open callbacks
    from followups.models import Callback
    from followups.selectors import can_work_callbacks

    pending = list(Callback.objects.filter(status="pending").select_related("owner"))
    assert pending and all(can_work_callbacks(cb.owner) for cb in pending)


@pytest.mark.django_db
def test_demo_loader_refuses_to_run_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("load_demo", verbosity=0)
