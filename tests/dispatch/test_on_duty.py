"""Only technicians on duty are given jobs: a profile left on an account that moved out of the
technician role, or was switched off, would be sent a job it cannot open (issue 11)."""
import pytest
from django.core.exceptions import ValidationError

from dispatch import services
from dispatch.forms import ForceForm
from dispatch.models import WorkOrder
from tests.dispatch.dispatch_helpers import NOW, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def off_duty(tech_factory):
    moved = tech_factory(user=make_user("moved", "agent"))
    gone_user = make_user("gone", "technician")
    gone_user.is_active = False
    gone_user.save(update_fields=["is_active"])
    return [moved, tech_factory(user=gone_user)]


def test_force_dispatch_refuses_a_profile_off_duty(wo_factory, off_duty, personas):
    wo = wo_factory()
    for tech in off_duty:
        with pytest.raises(ValidationError) as exc:
            services.workorder_force_dispatch(work_order=wo, technician=tech, actor=personas.supervisor,
                                              reason="Customer asked", now=NOW)
        assert exc.value.error_list[0].code == "not_on_duty"
    assert WorkOrder.objects.get(pk=wo.pk).technician is None


def test_force_form_and_auto_dispatch_offer_only_technicians_on_duty(wo_factory, off_duty, tech_factory, personas):
    real = tech_factory(user=make_user("real", "technician"))
    assert list(ForceForm().fields["technician"].queryset) == [real]
    decision = services.workorder_auto_dispatch(work_order=wo_factory(), now=NOW)
    assert decision.chosen == real
