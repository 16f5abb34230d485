"""The green channel in dispatch (issue 17): a key account's job ranks as the large value tier."""
import pytest

from dispatch.models import ValueTier, WorkOrderEvent

pytestmark = pytest.mark.django_db


def test_key_account_job_ranks_as_the_large_tier(wo_factory, ticket_factory, customer_factory, region):
    # given the same small job for an ordinary customer and for a key account
    plain = wo_factory(value="1000")
    key_customer = customer_factory(name="华信酒店", address="朝阳区建国路 1 号", region=region, is_key_account=True)
    key = wo_factory(ticket=ticket_factory(customer=key_customer), value="1000")
    # then the key account's is served by the levels for large jobs, and the event says why
    assert plain.value_tier == ValueTier.SMALL and key.value_tier == ValueTier.LARGE
    assert WorkOrderEvent.objects.get(work_order=key, kind="created").data["key_account"] is True
