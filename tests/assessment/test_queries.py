"""Fixed number of queries per page whatever the number of people (issue 18, "Rules for data and access")."""
import pytest
import time_machine
from django.urls import reverse

from assessment import services
from assessment.models import EvaluationTask, EvaluatorAssignment
from tests.conftest import make_user

from .conftest import NOV, answers_totalling, at

pytestmark = pytest.mark.django_db


def _grow(staff, n):
    """n more assessed agents in the team, each with two peers, and all their forms filled."""
    users = [make_user(f"extra{i}", "agent") for i in range(n)]
    from servicedesk.models import StaffProfile

    for u in users:
        StaffProfile.objects.update_or_create(user=u, defaults={"team": staff.team})
    for i, u in enumerate(users):
        EvaluatorAssignment.objects.create(person=u, evaluator=staff.agent, kind=staff.kinds["peer"], created_by=staff.manager)
        EvaluatorAssignment.objects.create(person=u, evaluator=users[i - 1] if n > 1 else staff.agent2,
                                           kind=staff.kinds["peer"], created_by=staff.manager)


def _fill_all(cycle):
    answers = answers_totalling(cycle, 50)
    for task in EvaluationTask.objects.filter(cycle=cycle).select_related("evaluator"):
        services.evaluation_submit(task=task, by=task.evaluator, answers=answers, now=at(2026, 11, 20))


@time_machine.travel(at(2026, 11, 20, 12), tick=False)
@pytest.mark.parametrize("extra", [0, 30])
def test_pages_keep_their_query_count(staff, client, personas, django_assert_max_num_queries, extra):
    _grow(staff, extra)
    cycle = services.cycle_open(month=NOV, by=staff.manager, now=at(2026, 11, 1))
    _fill_all(cycle)
    task = EvaluationTask.objects.filter(cycle=cycle, evaluator=staff.agent).first()
    pages = [
        (personas.manager, reverse("assessment:cycle", kwargs={"pk": cycle.pk}), 20),
        (personas.supervisor, reverse("assessment:cycle", kwargs={"pk": cycle.pk}), 20),
        (personas.manager, reverse("assessment:cycles"), 12),
        (personas.agent, reverse("assessment:mine"), 16),
        (personas.agent, reverse("assessment:my_forms"), 12),
        # the form reads the person's month from monitoring.selectors.staff_facts (8 queries at any size)
        (personas.agent, reverse("assessment:form", kwargs={"pk": task.pk}), 16),
    ]
    for user, url, cap in pages:
        client.force_login(user)
        with django_assert_max_num_queries(cap):
            assert client.get(url).status_code == 200, url
    services.cycle_close(cycle=cycle, by=staff.manager, now=at(2026, 11, 30))
    client.force_login(personas.manager)
    with django_assert_max_num_queries(16):
        page = client.get(reverse("assessment:cycle", kwargs={"pk": cycle.pk}))
    assert page.status_code == 200
    # a page shows 20 people and links to the next: nobody is cut silently
    assert ("page=2" in page.content.decode()) == (extra + 3 > 20)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("assessment:cycle_payroll", kwargs={"pk": cycle.pk}))
        lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + 3 + extra  # header, agent, agent2, frontdesk (assessed too), the extras
