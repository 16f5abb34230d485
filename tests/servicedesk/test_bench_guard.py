"""Benchmarks refuse a database they did not create (issue 13 item 7)."""
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from customers.models import Customer, Region
from servicedesk.models import BenchDatabase

pytestmark = pytest.mark.django_db

BENCHES = sorted(p.stem for p in Path(settings.BASE_DIR).glob("*/management/commands/bench_*.py"))


def test_every_bench_command_is_listed():
    assert len(BENCHES) >= 7, BENCHES


@pytest.mark.parametrize("command", BENCHES)
def test_a_bench_refuses_a_database_with_data_it_did_not_create(command, customer_factory):
    # given: the database holds a customer made by the front desk (demo or real data)
    customer_factory(name="王芳")
    before = (Customer.objects.count(), Region.objects.count())
    # when
    with pytest.raises(CommandError) as refused:
        call_command(command, stdout=io.StringIO(), stderr=io.StringIO())
    # then: it says why and wrote nothing, not even its marker
    assert "did not create" in str(refused.value) and "customers" in str(refused.value)
    assert (Customer.objects.count(), Region.objects.count()) == before
    assert not BenchDatabase.objects.exists()


def test_a_bench_claims_an_empty_database_and_the_next_bench_may_use_it():
    # given an empty (migrated) database
    # when
    call_command("bench_dispatch", n=20, technicians=4, runs=1, stdout=io.StringIO())
    # then it is now a bench database: another bench runs on it although it holds customers
    assert BenchDatabase.objects.get().command == "bench_dispatch"
    assert Customer.objects.exists()
    call_command("bench_surveys", n=60, runs=1, stdout=io.StringIO())  # was IntegrityError on region name
    assert BenchDatabase.objects.count() == 1
