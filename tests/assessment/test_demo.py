import pytest
import time_machine

from .conftest import at

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # load_demo loads every area (~100 s)


@time_machine.travel(at(2026, 11, 20, 12), tick=False)
def test_demo_loads_twice_and_shows_the_worked_example(settings):
    from django.core.management import call_command

    from assessment.models import Cycle, Result

    settings.DEBUG = True
    call_command("load_demo", customers=5, stdout=open("/dev/null", "w"))
    call_command("load_demo", customers=5, stdout=open("/dev/null", "w"))
    assert list(Cycle.objects.values_list("state", flat=True)) == ["open", "closed"]
    assert str(Result.objects.get(cycle__state="closed", person__username="agent").score) == "90.00"
