"""Surveys: invitation and delivery, the signed single-use expiring token, the public page."""
import re
import threading

import pytest
import time_machine
from django.core import mail, signing
from django.db import connection
from django.urls import reverse
from .fu_helpers import ANSWERS, FlakyBackend, at

from followups import services
from followups.models import Callback, SurveyInvitation, SurveyResponse
from servicedesk.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitation(make_ticket, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(resolve_at=at(2026, 11, 20, 15), customer_name="Li Wei")
    return ticket.survey_invitations.get()


def url_for(invitation, lang="en"):
    """The survey link; English so the assertions read plainly (the default is the customer's language)."""
    url = reverse("followups:survey", args=[services.survey_token(invitation)])
    return f"{url}?lang={lang}" if lang else url


def _customer_messages_delivered():
    """The acknowledgement and progress messages the ticket's own steps wrote (the portal's, tested in
    tests/portal) are marked delivered, so that only the survey link is left for these sweeps."""
    from servicedesk.models import OutboxMessage

    OutboxMessage.objects.filter(kind__startswith="portal.").update(status="sent", next_attempt_at=None)


# --- invitation and delivery ---------------------------------------------------------------------------
def test_resolution_sends_invitation_through_default_backend(invitation):
    invitation.refresh_from_db()
    assert invitation.delivery_status == "sent"
    assert invitation.delivered_to.startswith("+86139")
    assert invitation.expires_at == at(2026, 12, 4, 15)  # 14 days
    assert invitation.language == "zh-hans"


def test_email_backend_sends_link_in_customers_language(settings, make_ticket, customer_factory,
                                                        django_capture_on_commit_callbacks):
    settings.SURVEY_DELIVERY_BACKEND = "followups.delivery.EmailBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    customer = customer_factory(name="Wang Fang", email="wf@example.com", preferred_language="zh-hans")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(customer=customer, resolve_at=at(2026, 11, 20, 15))
    invitation = ticket.survey_invitations.get()
    # (the acknowledgement and the "resolved" message are the portal's, tests/portal)
    survey_mails = [m for m in mail.outbox if "/followups/s/" in m.body]
    assert len(survey_mails) == 1
    assert survey_mails[0].to == ["wf@example.com"]
    # the link was signed when the message was written (the outbox row holds the whole text) and opens
    import re

    link = re.search(r"(/followups/s/[^/\s]+/)", survey_mails[0].body).group(1)
    assert services.survey_invitation_for_token(link.split("/")[-2], now=at(2026, 11, 20, 16)).pk == invitation.pk
    assert ticket.number in survey_mails[0].body and "感谢" in survey_mails[0].body
    invitation.refresh_from_db()
    assert (invitation.delivery_status, invitation.delivery_channel) == ("sent", "email")


def test_email_backend_without_address_is_recorded(settings, make_ticket, django_capture_on_commit_callbacks):
    settings.SURVEY_DELIVERY_BACKEND = "followups.delivery.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(resolve_at=at(2026, 11, 20, 15))
    assert ticket.survey_invitations.get().delivery_status == "no_address"


def test_failed_delivery_is_recorded_and_the_retry_sends(settings, make_ticket):
    from servicedesk.outbox import backoff, outbox_sweep

    settings.SURVEY_DELIVERY_BACKEND = "tests.followups.fu_helpers.FlakyBackend"
    FlakyBackend.calls = []
    FlakyBackend.fail_times = 1
    invitation = make_ticket(resolve_at=at(2026, 11, 20, 15)).survey_invitations.get()
    _customer_messages_delivered()
    # the gateway times out: the failure is recorded on the invitation, the outbox backs off
    assert outbox_sweep(now=at(2026, 11, 20, 15))["failed"] == 1
    invitation.refresh_from_db()
    assert (invitation.delivery_status, invitation.delivery_error) == ("pending", "DeliveryError: gateway timeout")
    # the retry delivers; a third run (a duplicate task) sends nothing more
    assert outbox_sweep(now=at(2026, 11, 20, 15) + backoff(1))["sent"] == 1
    assert outbox_sweep(now=at(2026, 11, 20, 18))["claimed"] == 0
    invitation.refresh_from_db()
    assert (invitation.delivery_status, invitation.delivery_attempts, len(FlakyBackend.calls)) == ("sent", 2, 2)


def test_sending_never_blocks_the_agent_when_the_broker_is_down(settings, make_ticket, personas, monkeypatch,
                                                                 django_capture_on_commit_callbacks):
    from servicedesk.outbox import outbox_sweep
    from servicedesk.tasks import outbox_deliver_task

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(outbox_deliver_task, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(resolve_at=at(2026, 11, 20, 15))
    assert ticket.status == "resolved"
    invitation = ticket.survey_invitations.get()
    assert invitation.delivery_status == "pending"
    _customer_messages_delivered()
    # the outbox sweep picks it up, once
    assert outbox_sweep(now=at(2026, 11, 20, 15, 1))["sent"] == 1
    assert outbox_sweep(now=at(2026, 11, 20, 18))["claimed"] == 0
    invitation.refresh_from_db()
    assert invitation.delivery_status == "sent"


def test_outbox_backs_off_and_gives_up(settings, make_ticket):
    from servicedesk.models import OutboxMessage
    from servicedesk.outbox import outbox_sweep

    settings.SURVEY_DELIVERY_BACKEND = "tests.followups.fu_helpers.FlakyBackend"
    settings.OUTBOX_MAX_ATTEMPTS = 6
    FlakyBackend.calls = []
    FlakyBackend.fail_times = 100
    invitation = make_ticket(resolve_at=at(2026, 11, 20, 15)).survey_invitations.get()
    _customer_messages_delivered()
    row = OutboxMessage.objects.get(source_type="followups.surveyinvitation", source_id=invitation.pk)
    moment = at(2026, 11, 20, 15, 10)
    for _attempt in range(8):
        outbox_sweep(now=moment)
        row.refresh_from_db()
        if row.next_attempt_at is None:
            break
        assert row.next_attempt_at > moment  # pushed forward, further each time
        moment = row.next_attempt_at
    invitation.refresh_from_db()
    assert invitation.delivery_status == "failed" and row.status == "failed"
    assert invitation.delivery_attempts == 6 and len(FlakyBackend.calls) == 6


def test_one_invitation_per_ticket(make_ticket, personas):
    ticket = make_ticket(resolve_at=at(2026, 11, 20, 15))
    assert services.survey_invitation_create(ticket=ticket) is None
    assert SurveyInvitation.objects.filter(ticket=ticket).count() == 1


# --- token -----------------------------------------------------------------------------------------------
def test_token_round_trip_and_forgery(invitation):
    token = services.survey_token(invitation)
    assert services.survey_invitation_for_token(token, now=at(2026, 11, 21)) == invitation
    with pytest.raises(services.SurveyTokenError):
        services.survey_invitation_for_token(token[:-2] + "xx", now=at(2026, 11, 21))
    forged = signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt="another.salt")
    with pytest.raises(services.SurveyTokenError):
        services.survey_invitation_for_token(forged, now=at(2026, 11, 21))


def test_token_expires(invitation):
    token = services.survey_token(invitation)
    services.survey_invitation_for_token(token, now=at(2026, 12, 4, 14, 59))
    with pytest.raises(services.SurveyExpired):
        services.survey_invitation_for_token(token, now=at(2026, 12, 4, 15))


def test_page_shows_only_ticket_and_first_name(client, invitation, customer_factory):
    other = customer_factory(name="Zhang Other", address="secret street 9")
    with time_machine.travel(at(2026, 11, 21), tick=False):
        response = client.get(url_for(invitation))
    body = response.content.decode()
    assert response.status_code == 200
    assert invitation.ticket.number in body and "Li" in body
    assert "Wei" not in body  # first name only
    for secret in ("Zhang", other.phones.get().number, invitation.delivered_to or "+86", "secret street"):
        assert secret not in body
    assert response["Cache-Control"].startswith("max-age=0")


def test_submission_counts_once_and_copies_segments(client, invitation, personas):
    with time_machine.travel(at(2026, 11, 21, 10), tick=False):
        response = client.post(url_for(invitation), ANSWERS)
        again = client.post(url_for(invitation), {**ANSWERS, "overall": "1"})
        reopened = client.get(url_for(invitation))
    assert response.status_code == 200 and b"Thank you" in response.content
    assert again.status_code == 200 and b"already have your answers" in again.content
    assert reopened.status_code == 200 and b"already have your answers" in reopened.content
    r = SurveyResponse.objects.get()
    assert (r.overall, r.recommend, r.comment) == (5, 10, "Very quick, thank you")
    assert (r.tier, r.ticket_kind, r.channel, r.agent) == ("basic", "repair", "phone", personas.agent)
    assert str(r.month) == "2026-11-01"
    assert not Callback.objects.filter(reason="survey_low_score").exists()


@pytest.mark.parametrize("field,value", [("overall", "9"), ("overall", "0"), ("recommend", "11"),
                                         ("empathy", "abc"), ("tangibles", "")])
def test_tampered_score_is_refused_kindly(client, invitation, field, value):
    with time_machine.travel(at(2026, 11, 21), tick=False):
        response = client.post(url_for(invitation), {**ANSWERS, field: value})
    assert response.status_code == 400
    assert b"Please answer" in response.content or b"choose" in response.content.lower()
    assert not SurveyResponse.objects.exists()
    invitation.refresh_from_db()
    assert invitation.used_at is None  # still usable


def test_expired_and_forged_pages(client, invitation, make_ticket, customer_factory):
    token = services.survey_token(invitation)
    with time_machine.travel(at(2026, 12, 5), tick=False):
        expired = client.get(url_for(invitation))
        expired_post = client.post(url_for(invitation), ANSWERS)
    assert expired.status_code == 410 and b"expired" in expired.content
    assert expired_post.status_code == 410
    assert not SurveyResponse.objects.exists()
    # a forged token, one naming another customer's invitation with a guessed nonce, and one for a
    # non-existent invitation all get the same page: nothing tells them apart
    other = make_ticket(resolve_at=at(2026, 11, 20, 16), customer=customer_factory(name="Zhang San"))
    other_inv = other.survey_invitations.get()
    guessed = signing.dumps({"i": other_inv.pk, "n": "0" * 32}, salt=services.TOKEN_SALT)
    missing = signing.dumps({"i": 999999, "n": "0" * 32}, salt=services.TOKEN_SALT)
    pages = []
    with time_machine.travel(at(2026, 11, 21), tick=False):
        for bad in (token[:-3] + "abc", guessed, missing, "not-a-token"):
            r = client.get(reverse("followups:survey", args=[bad]) + "?lang=en")
            assert r.status_code == 400
            pages.append(re.sub(rb'"X-CSRFToken": "[^"]*"', b"", r.content))
    assert len(set(pages)) == 1
    assert b"Zhang" not in pages[0]


def test_chinese_by_default_and_switchable(client, invitation):
    with time_machine.travel(at(2026, 11, 21), tick=False):
        zh = client.get(url_for(invitation, lang=None))  # the customer's preferred language
        en = client.get(url_for(invitation, lang="en"))
    assert "您对本次服务的总体满意度如何".encode() in zh.content and b'lang="zh-hans"' in zh.content
    assert b"how did we do" in en.content.lower() and b'href="?lang=zh-hans"' in en.content


def test_rate_limited_per_ip(client, settings, invitation):
    settings.SURVEY_RATE_LIMIT = (3, 60)
    with time_machine.travel(at(2026, 11, 21, 10), tick=False):
        codes = [client.get(url_for(invitation)).status_code for _i in range(4)]
        other_ip = client.get(url_for(invitation), REMOTE_ADDR="10.9.9.9").status_code
        posted = client.post(url_for(invitation), ANSWERS)
    assert codes == [200, 200, 200, 429]
    assert other_ip == 200
    assert posted.status_code == 429 and not SurveyResponse.objects.exists()
    with time_machine.travel(at(2026, 11, 21, 10, 2), tick=False):
        assert client.get(url_for(invitation)).status_code == 200  # next window


# --- low score -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("overall,recommend,low", [(2, 9, True), (3, 6, True), (3, 7, False), (5, 10, False),
                                                   (1, 0, True)])
def test_low_score_opens_follow_up_for_supervisor(invitation, personas, overall, recommend, low):
    supervisor = personas.supervisor
    answers = {**{k: int(v) for k, v in ANSWERS.items() if k != "comment"}, "overall": overall,
               "recommend": recommend, "comment": "Technician left a mess"}
    response = services.survey_submit(invitation=invitation, answers=answers, now=at(2026, 11, 21, 10))
    follow_ups = Callback.objects.filter(reason="survey_low_score")
    assert follow_ups.count() == (1 if low else 0)
    if low:
        cb = follow_ups.get()
        assert (cb.owner, cb.ticket, cb.survey_response) == (supervisor, invitation.ticket, response)
        assert cb.due_at == at(2026, 11, 21, 10)
        assert "Technician left a mess" in cb.notes
        assert Notification.objects.filter(recipient=supervisor, url=reverse("followups:callback", args=[cb.pk])).exists()


def test_low_score_thresholds_are_configurable(invitation, personas):
    from followups.models import FollowupPolicy

    personas.supervisor
    FollowupPolicy.objects.update_or_create(pk=1, defaults={"low_overall_max": 3, "low_recommend_max": 4})
    answers = {**{k: int(v) for k, v in ANSWERS.items() if k != "comment"}, "overall": 3, "recommend": 6}
    services.survey_submit(invitation=invitation, answers=answers, now=at(2026, 11, 21, 10))
    assert Callback.objects.filter(reason="survey_low_score").count() == 1


# --- concurrency (PostgreSQL) ----------------------------------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submissions_count_once(make_ticket, personas):
    ticket = make_ticket(resolve_at=at(2026, 11, 20, 15))
    invitation = ticket.survey_invitations.get()
    answers = {k: int(v) for k, v in ANSWERS.items() if k != "comment"}
    barrier = threading.Barrier(4)
    results = []

    def submit():
        try:
            inv = SurveyInvitation.objects.select_related("customer", "ticket").get(pk=invitation.pk)
            barrier.wait()
            services.survey_submit(invitation=inv, answers=answers, now=at(2026, 11, 21, 10))
            results.append("ok")
        except services.SurveyAlreadyAnswered:
            results.append("already")
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["already", "already", "already", "ok"]
    assert SurveyResponse.objects.filter(invitation=invitation).count() == 1
