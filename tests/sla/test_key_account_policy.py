"""The green channel in the SLA (issue 17): key-account status is a policy criterion."""
from decimal import Decimal

import pytest

from sla.defaults import KEY_ACCOUNT_POLICIES
from sla.models import SLAPolicy
from sla.services import policy_for_ticket, policy_match

pytestmark = pytest.mark.django_db


def _values(**kw):
    return {"kind": "repair", "priority": 2, "tier": "basic", "channel": "phone", "is_key_account": False, **kw}


def test_key_account_policy_wins_at_equal_specificity():
    # given two policies with one criterion each; the ordinary one has the lower order
    tier = SLAPolicy.objects.create(name="Gold only", tier="gold", order=1)
    key = SLAPolicy.objects.create(name="Key only", key_account="yes", order=50)
    policies = [tier, key]
    # then a key account of tier gold gets the key-account policy
    assert policy_match(policies=policies, **_values(tier="gold", is_key_account=True)) == key
    # and a customer who is not a key account the tier policy
    assert policy_match(policies=policies, **_values(tier="gold")) == tier


def test_key_account_counts_in_specificity_and_no_matches_others():
    both = SLAPolicy.objects.create(name="Gold not key", tier="gold", key_account="no", order=100)
    key = SLAPolicy.objects.create(name="Key", key_account="yes", order=1)
    assert both.specificity == 2 and key.specificity == 1
    assert policy_match(policies=[both, key], **_values(tier="gold")) == both
    assert policy_match(policies=[both, key], **_values(tier="gold", is_key_account=True)) == key


def test_default_key_account_policies_are_faster_than_what_they_replace(customer_factory, personas):
    from tickets.services import ticket_create

    def ticket_factory(**kw):
        return ticket_create(subject="x", created_by=personas.frontdesk, **kw)

    # the data migration installed them
    assert set(SLAPolicy.objects.filter(key_account="yes").values_list("name", flat=True)) == {
        name for name, *_rest in KEY_ACCOUNT_POLICIES}
    plain = customer_factory(name="Plain", tier="diamond")
    key = customer_factory(name="Key", tier="diamond", is_key_account=True)
    for kind, priority in (("repair", 0), ("repair", 2), ("complaint", 0), ("inquiry", 2)):
        p_plain = policy_for_ticket(ticket_factory(customer=plain, kind=kind, priority=priority))
        p_key = policy_for_ticket(ticket_factory(customer=key, kind=kind, priority=priority))
        assert p_key.key_account == "yes", (kind, priority, p_key.name)
        plain_hours = {t.target: t.hours for t in p_plain.targets.all()}
        for t in p_key.targets.all():
            if t.target in plain_hours:
                assert t.hours <= plain_hours[t.target], (kind, priority, t.target)
        assert min(t.hours for t in p_key.targets.all() if t.target == "first_response") <= Decimal(4)


def test_policy_page_shows_the_criterion(client_for):
    body = client_for("manager").get("/sla/policies/").content.decode()
    assert "Key accounts only" in body
