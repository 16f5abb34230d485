"""The PDCA register (issue 17 item 9): who creates and moves actions, carry-over exactly once, overdue bell."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from improvement import selectors, services
from improvement.models import ActionCarryOver, ActionEvent, ImprovementAction
from servicedesk.models import Notification

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 10, 20, 10, 0, tzinfo=TZ)


def _action(personas, **kw):
    kw.setdefault("owner", personas.agent)
    kw.setdefault("due_date", date(2026, 10, 31))
    return services.action_create(problem="Callers wait too long at lunch", measure="Stagger lunch breaks",
                                  by=personas.supervisor, now=T0, **kw)


def test_owner_is_told_and_only_supervisors_and_managers_create(personas):
    action = _action(personas)
    assert action.month == date(2026, 10, 1) and action.status == "plan"
    assert Notification.objects.filter(recipient=personas.agent, kind="improvement_actions").count() == 1
    with pytest.raises(ValidationError):
        services.action_create(problem="x", measure="y", owner=personas.agent, due_date=date(2026, 11, 1),
                               by=personas.agent, now=T0)
    with pytest.raises(ValidationError):  # an owner who cannot open the register
        _action(personas, owner=personas.outsider)


def test_owner_moves_their_own_action_others_cannot(personas):
    action = _action(personas)
    services.action_move(action=action, by=personas.agent, to_status="do")
    with pytest.raises(ValidationError):
        services.action_move(action=action, by=personas.agent2, to_status="check")
    with pytest.raises(ValidationError):  # no skipping steps
        services.action_move(action=action, by=personas.agent, to_status="done")
    services.action_move(action=action, by=personas.agent, to_status="check")
    services.action_move(action=action, by=personas.supervisor, to_status="do", note="check failed")
    with pytest.raises(ValidationError):  # dropped needs a reason
        services.action_move(action=action, by=personas.manager, to_status="dropped")
    services.action_move(action=action, by=personas.manager, to_status="dropped", reason="Merged into #2")
    action.refresh_from_db()
    assert action.status == "dropped" and action.done_at is not None
    with pytest.raises(ValidationError):
        services.action_move(action=action, by=personas.manager, to_status="plan")


def test_unfinished_actions_carry_over_exactly_once(personas):
    # given an unfinished action and a done one, both opened in October
    open_one = _action(personas)
    done = _action(personas)
    for s in ("do", "check", "act", "done"):
        services.action_move(action=done, by=personas.agent, to_status=s, now=T0 + timedelta(days=1))
    # when the job runs on 1 November, and again (a second beat, a retry)
    nov1 = datetime(2026, 11, 1, 0, 20, tzinfo=TZ)
    assert services.actions_carry_over(now=nov1) == 1
    assert services.actions_carry_over(now=nov1 + timedelta(minutes=5)) == 0
    assert services.actions_carry_over(now=nov1 + timedelta(days=3)) == 0
    # then the unfinished one moved to November once, with an event; the done one stayed
    open_one.refresh_from_db()
    done.refresh_from_db()
    assert open_one.month == date(2026, 11, 1) and done.month == date(2026, 10, 1)
    assert list(ActionCarryOver.objects.values_list("action_id", "from_month", "to_month")) == [
        (open_one.pk, date(2026, 10, 1), date(2026, 11, 1))]
    assert ActionEvent.objects.filter(action=open_one, kind="carried_over").count() == 1


def test_catching_up_after_downtime_carries_through_every_month(personas):
    action, other = _action(personas), _action(personas)
    # beat was down from October's end until January: the first run carries each action once per month end
    # crossed (October → November → December → January), in batches of one
    assert services.actions_carry_over(now=datetime(2027, 1, 5, 9, tzinfo=TZ), batch=1) == 6
    assert services.actions_carry_over(now=datetime(2027, 1, 6, 9, tzinfo=TZ)) == 0
    assert list(ActionCarryOver.objects.filter(action=action).order_by("to_month").values_list("to_month", flat=True)) \
        == [date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1)]
    other.refresh_from_db()
    assert other.month == date(2027, 1, 1)


def test_a_carry_over_already_recorded_is_not_repeated(personas):
    # a run that inserted the carry row but whose month update was lost: the constraint keeps it once
    action = _action(personas)
    ActionCarryOver.objects.create(action=action, from_month=date(2026, 10, 1), to_month=date(2026, 11, 1),
                                   status="plan", carried_at=T0)
    assert services.actions_carry_over(now=datetime(2026, 11, 2, tzinfo=TZ)) == 0
    action.refresh_from_db()
    assert action.month == date(2026, 11, 1)
    assert ActionCarryOver.objects.count() == 1


def test_overdue_owner_is_told_once_and_a_later_due_date_rearms(personas):
    action = _action(personas, due_date=date(2026, 10, 25))
    Notification.objects.all().delete()
    assert services.actions_overdue_notify(now=datetime(2026, 10, 25, 9, tzinfo=TZ)) == 0  # due today: not yet
    assert services.actions_overdue_notify(now=datetime(2026, 10, 26, 9, tzinfo=TZ)) == 1
    assert services.actions_overdue_notify(now=datetime(2026, 10, 27, 9, tzinfo=TZ)) == 0
    assert Notification.objects.filter(recipient=personas.agent, kind="improvement_actions").count() == 1
    services.action_update(action=action, by=personas.supervisor, problem=action.problem, measure=action.measure,
                           owner=personas.agent, due_date=date(2026, 11, 5))
    assert services.actions_overdue_notify(now=datetime(2026, 11, 6, 9, tzinfo=TZ)) == 1


def test_report_summary_lists_new_done_and_carried(personas):
    from reports.periods import period_containing

    kept = _action(personas)
    done = _action(personas)
    for s in ("do", "check", "act", "done"):
        services.action_move(action=done, by=personas.agent, to_status=s, now=T0 + timedelta(days=1))
    services.actions_carry_over(now=datetime(2026, 11, 1, 1, tzinfo=TZ))
    s = selectors.period_summary(**_bounds(period_containing("month", date(2026, 10, 1))))
    new, finished, carried = (rows for _t, rows, _more in s["lists"])
    assert {a.pk for a in new} == {kept.pk, done.pk}
    assert [a.pk for a in finished] == [done.pk] and [a.pk for a in carried] == [kept.pk]
    nov = selectors.period_summary(**_bounds(period_containing("month", date(2026, 11, 1))))
    assert all(not rows for _t, rows, _m in nov["lists"])


def _bounds(p):
    return {"start": p.start, "end": p.end, "first": p.first, "last": p.last}


def test_a_new_owner_of_an_overdue_action_is_told_it_is_overdue(personas):
    action = _action(personas, due_date=date(2026, 10, 25))
    assert services.actions_overdue_notify(now=datetime(2026, 10, 26, 9, tzinfo=TZ)) == 1
    Notification.objects.all().delete()
    # same due date, another owner: they were never told it is overdue
    services.action_update(action=action, by=personas.supervisor, problem=action.problem, measure=action.measure,
                           owner=personas.agent2, due_date=date(2026, 10, 25))
    assert services.actions_overdue_notify(now=datetime(2026, 10, 27, 9, tzinfo=TZ)) == 1
    assert Notification.objects.filter(recipient=personas.agent2, kind="improvement_actions").count() == 2


def test_monthly_report_waits_for_the_night_carry_over(personas):
    """The hourly report beat may tick at 00:05 on the 1st, before the 00:20 carry-over: the month is reported
    only once it has been over for an hour, so its "carried over" list is complete."""
    from django.core import mail

    from reports.services import deliveries_send_due, subscription_create
    from servicedesk.outbox import outbox_sweep

    kept = _action(personas)
    manager = personas.manager
    manager.email = "gm@example.com"
    manager.save()
    subscription_create(user=manager, frequency="month", sections=["improvement"], created_by=manager, now=T0)
    early = datetime(2026, 11, 1, 0, 5, tzinfo=TZ)
    assert deliveries_send_due(now=early) == 0  # October is not reported yet
    services.actions_carry_over(now=datetime(2026, 11, 1, 0, 20, tzinfo=TZ))
    on_time = datetime(2026, 11, 1, 1, 5, tzinfo=TZ)
    assert deliveries_send_due(now=on_time) == 1
    outbox_sweep(now=on_time)
    (msg,) = mail.outbox
    assert "2026-10" in msg.subject or "October" in msg.subject
    assert "1 carried over" in msg.body
    carried = msg.body.split("Carried over to the next month:")[1]
    assert kept.problem in carried and kept.problem in msg.alternatives[0][0]
    # each list once, under its section: new and carried over (it is both), not repeated in the heading
    assert msg.body.count(kept.problem) == 2 and msg.body.count("Carried over to the next month:") == 1


def test_a_quarter_counts_an_action_carried_twice_once(personas):
    from reports.periods import period_containing

    kept = _action(personas)
    services.actions_carry_over(now=datetime(2026, 12, 1, 1, tzinfo=TZ))  # Oct → Nov → Dec: two carry-overs
    assert ActionCarryOver.objects.filter(action=kept).count() == 2
    oct_, nov = period_containing("month", date(2026, 10, 1)), period_containing("month", date(2026, 11, 1))
    bounds = {"start": oct_.start, "end": nov.end, "first": oct_.first, "last": nov.last}
    s = selectors.period_summary(**bounds)
    _new, _done, carried = (rows for _t, rows, _more in s["lists"])
    assert [a.pk for a in carried] == [kept.pk]
    assert "1 carried over" in str(s["counts"])
