"""The technician's job card says "open this job" (查看), not the ticket status 未结 (issue 11 item 6)."""
import pytest
from django.urls import reverse
from django.utils import timezone

from dispatch import services
from dispatch.models import Offer

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted_job(personas, tech_factory, wo_factory):
    tech_factory(user=personas.technician)
    wo = wo_factory(now=timezone.now())
    services.workorder_auto_dispatch(work_order=wo)
    services.offer_accept(offer=Offer.objects.get(work_order=wo), user=personas.technician)
    return wo


def test_job_card_button_is_an_action_in_chinese(accepted_job, client_for):
    page = client_for("technician").get(reverse("dispatch:my_jobs"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    link = reverse("dispatch:workorder", args=[accepted_job.pk])
    assert f'href="{link}">查看 <i class="bi bi-chevron-right">' in page
    assert "未结" not in page


def test_job_card_button_in_english(accepted_job, client_for):
    page = client_for("technician").get(reverse("dispatch:my_jobs"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'Open <i class="bi bi-chevron-right">' in page
