"""The supervisor of a ticket's team who has left (account switched off) is passed over, as the complaint
deciders rule already does: the low-score follow-up goes to a supervisor who is still here."""
import pytest
from django.contrib.auth import get_user_model

from followups import services
from followups.models import Callback
from servicedesk.models import Notification, Team

from .fu_helpers import ANSWERS, at

pytestmark = pytest.mark.django_db


def test_a_low_score_on_a_team_whose_supervisor_left_goes_to_an_active_supervisor(make_ticket, personas):
    # given a resolved ticket of a team whose supervisor's account was switched off
    gone = get_user_model().objects.create_user("gone_sup", is_active=False)
    team = Team.objects.create(name="离职组", supervisor=gone)
    ticket = make_ticket(resolve_at=at(2026, 11, 20, 15), team=team)
    invitation = ticket.survey_invitations.get()
    supervisor = personas.supervisor
    # when the customer answers with a low score
    answers = {**{k: int(v) for k, v in ANSWERS.items() if k != "comment"}, "overall": 1, "recommend": 2}
    services.survey_submit(invitation=invitation, answers=answers, now=at(2026, 11, 21, 10))
    # then the follow-up is owned by, and announced to, the supervisor who is still here
    cb = Callback.objects.get(reason="survey_low_score")
    assert cb.owner == supervisor
    assert Notification.objects.filter(recipient=supervisor, message__startswith="Low survey score").exists()
    assert not Notification.objects.filter(recipient=gone).exists()


def test_an_sla_breach_on_a_team_whose_supervisor_left_escalates_to_an_active_supervisor(personas):
    from sla.services import _Recipients

    from tickets.models import Ticket

    gone = get_user_model().objects.create_user("gone_sup2", is_active=False)
    team = Team.objects.create(name="离职二组", supervisor=gone)
    supervisor = personas.supervisor
    assert _Recipients().supervisor_of(Ticket(team=team)) == [supervisor]
