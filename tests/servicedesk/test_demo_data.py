"""`make run` loads demo data every time: the second load must add nothing (issue 2)."""
import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone


def _this_morning():
    """10:00 today, local: two loads minutes apart stay on one local day and in one month. The assessment and
    quality demos are made per month and per day, so a load after local midnight rightly adds that day's (CI
    once ran this test at 23:55 in Shanghai)."""
    from datetime import datetime, time

    return timezone.make_aware(datetime.combine(timezone.localdate(), time(10, 0)))


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
    with time_machine.travel(_this_morning(), tick=False):
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
@pytest.mark.slow
def test_a_second_load_after_real_work_answers_no_survey_and_changes_nothing(settings, tmp_path):
    """Issue 11 item 10: a second `make run` stored a 5-star answer for a job a technician had just
    closed. The loader only touches the rows it makes in that run."""
    from django.contrib.auth import get_user_model

    from customers.models import Customer
    from dispatch import services as dispatch_services
    from dispatch.models import WorkOrder
    from followups.models import Callback, SurveyInvitation, SurveyResponse
    from tickets.models import Ticket
    from tickets.services import ticket_create

    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path
    User = get_user_model()
    with time_machine.travel(_this_morning(), tick=False) as clock:
        call_command("load_demo", customers=60, verbosity=0)
        # given real work after the first run: the technician finishes and closes his job
        clock.shift(600)
        li = User.objects.get(username="technician")
        job = WorkOrder.objects.filter(technician__user=li).exclude(status="closed").order_by("pk").first()
        dispatch_services.workorder_start(work_order=job, actor=li)
        dispatch_services.workorder_record_work(work_order=job, actor=li, work_done="Replaced capacitor",
                                                fault_cause=_cause())
        from tests.dispatch.dispatch_helpers import SIGNATURE
        dispatch_services.workorder_sign_off(work_order=job, actor=li, name="王芳", signature_data_url=SIGNATURE)
        dispatch_services.workorder_close(work_order=job, actor=li)
        invitation = SurveyInvitation.objects.get(work_order=job)
        # … and the front desk opens a ticket for a walk-in customer
        desk = User.objects.get(username="frontdesk")
        walk_in = Customer.objects.create(name="真实客户", first_contact_by=desk, owner=desk)
        real = ticket_create(customer=walk_in, kind="inquiry", subject="发票怎么开？", created_by=desk)
        counts = _row_counts()
        real_rows = {
            "ticket": list(Ticket.objects.filter(pk__in=[real.pk, job.ticket_id]).values_list("pk", "updated_at")),
            "work_order": WorkOrder.objects.get(pk=job.pk).updated_at,
            "callbacks": list(Callback.objects.filter(ticket_id=job.ticket_id).values_list("pk", "status", "due_at")),
        }
        answers = SurveyResponse.objects.count()
        # when `make run` loads the demo again, later
        clock.shift(600)
        call_command("load_demo", customers=60, verbosity=0)
        # then no survey answer was stored for the real job, and nothing changed
        invitation.refresh_from_db()
        assert invitation.used_at is None
        assert SurveyResponse.objects.count() == answers
        assert _row_counts() == counts
        assert real_rows == {
            "ticket": list(Ticket.objects.filter(pk__in=[real.pk, job.ticket_id]).values_list("pk", "updated_at")),
            "work_order": WorkOrder.objects.get(pk=job.pk).updated_at,
            "callbacks": list(Callback.objects.filter(ticket_id=job.ticket_id).values_list("pk", "status", "due_at")),
        }


def _cause():
    from tests.dispatch.dispatch_helpers import fault_cause

    return fault_cause()


@pytest.mark.django_db
def test_demo_loader_refuses_to_run_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("load_demo", verbosity=0)
