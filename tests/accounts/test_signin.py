"""Sign-in protection: lockout per user name and per address, unlock, passwords, two-step sign-in."""
import re
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from accounts.models import AccountSettings

pytestmark = pytest.mark.django_db

LOGIN = "/login/"
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=dt_timezone.utc)


def post_login(client, username, password, ip="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def normalized(response) -> str:
    """The page without its per-request CSRF token."""
    return re.sub(r"[A-Za-z0-9]{64}", "", response.content.decode())


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- unknown user vs wrong password ---------------------------------------------------------------
def test_unknown_user_and_wrong_password_get_the_same_answer_and_both_count(client, personas):
    from axes.models import AccessAttempt

    # given
    personas.agent
    # when
    wrong_password = post_login(client, "agent", "nope")
    unknown_user = post_login(client, "nobody-here", "nope")
    # then
    assert wrong_password.status_code == unknown_user.status_code == 200
    errors = [r.context["form"].non_field_errors() for r in (wrong_password, unknown_user)]
    assert errors[0] == errors[1] and errors[0]
    body = [re.sub(r'[A-Za-z0-9]{64}|value="[^"]*"', "", r.content.decode()) for r in (wrong_password, unknown_user)]
    assert body[0] == body[1]
    assert AccessAttempt.objects.filter(username="agent").exists()
    assert AccessAttempt.objects.filter(username="nobody-here").exists()


def test_unknown_user_is_locked_out_exactly_like_a_real_one(client, personas, settings):
    # given
    personas.agent
    responses = {}
    for name in ("agent", "ghost"):
        for n in range(settings.AXES_FAILURE_LIMIT):
            post_login(client, name, "nope", ip=f"10.1.{len(responses)}.{n}")
        # when
        responses[name] = post_login(client, name, "still-wrong", ip="10.9.9.9" if name == "agent" else "10.9.9.8")
    # then
    assert responses["agent"].status_code == responses["ghost"].status_code == 429
    assert normalized(responses["agent"]) == normalized(responses["ghost"])


# --- lockout per user name ------------------------------------------------------------------------
def test_user_name_locked_after_the_limit_even_with_the_right_password_from_elsewhere(client, personas, settings):
    # given: failures from five different addresses (so no single address reaches its limit)
    personas.agent
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        assert post_login(client, "agent", "wrong", ip=f"10.0.1.{n}").status_code == 200
    assert post_login(client, "agent", "wrong", ip="10.0.1.99").status_code == 429  # the one that reaches the limit
    # when
    response = post_login(client, "agent", "pw", ip="10.0.2.1")
    # then
    assert response.status_code == 429
    text = response.content.decode()
    assert "too many failed sign-ins" in text and "15 minutes" in text
    assert not signed_in(client)
    # another person on the same computer is not affected
    personas.agent2
    assert post_login(client, "agent2", "pw", ip="10.0.2.1").status_code == 302


def test_lockout_message_in_chinese(client, personas, settings):
    personas.agent
    for n in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, "agent", "wrong", ip=f"10.0.1.{n}")
    client.cookies["django_language"] = "zh-hans"
    response = client.post(LOGIN, {"username": "agent", "password": "pw"}, REMOTE_ADDR="10.0.3.1",
                           HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()


def test_lock_lifts_by_itself_after_the_cool_off(client, personas, settings):
    personas.agent
    with time_machine.travel(T0, tick=False) as clock:
        for n in range(settings.AXES_FAILURE_LIMIT):
            post_login(client, "agent", "wrong", ip=f"10.0.1.{n}")
        assert post_login(client, "agent", "pw", ip="10.0.4.1").status_code == 429
        clock.shift(settings.AXES_COOLOFF_TIME + timedelta(seconds=1))
        assert post_login(client, "agent", "pw", ip="10.0.4.1").status_code == 302


def test_a_colleagues_successful_sign_in_does_not_wipe_the_count_against_another_name(client, personas, settings):
    # given: guesses at "agent" from one address, with someone else signing in there in between
    personas.agent
    personas.agent2
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        post_login(client, "agent", "wrong", ip="10.0.5.5")
        assert post_login(client, "agent2", "pw", ip="10.0.5.5").status_code == 302
        client.logout()
    # when
    response = post_login(client, "agent", "wrong", ip="10.0.5.5")
    # then
    assert response.status_code == 429


def test_the_users_own_successful_sign_in_forgets_their_typos(client, personas, settings):
    personas.agent
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        post_login(client, "agent", "wrong")
    assert post_login(client, "agent", "pw").status_code == 302
    client.logout()
    assert post_login(client, "agent", "wrong").status_code == 200


# --- lockout per address --------------------------------------------------------------------------
def test_address_locked_after_its_own_limit_across_user_names(client, personas, settings):
    # given: many different (even unknown) names tried from one address
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 8
    personas.agent
    for n in range(7):
        assert post_login(client, f"guess{n}", "wrong", ip="192.0.2.7").status_code == 200
    assert post_login(client, "guess7", "wrong", ip="192.0.2.7").status_code == 429
    # when / then: the real user from that address is refused, from another address let in
    assert post_login(client, "agent", "pw", ip="192.0.2.7").status_code == 429
    assert post_login(client, "agent", "pw", ip="192.0.2.8").status_code == 302


def test_address_is_taken_by_the_shared_client_ip_rule(client, personas, settings, monkeypatch):
    """Behind a proxy the lockout must count the same address as the public rate limits."""
    import servicedesk.ratelimit

    monkeypatch.setattr(servicedesk.ratelimit, "client_ip", lambda request: request.META.get("HTTP_X_TEST_CLIENT", "unknown"))
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 6
    for n in range(6):
        client.post(LOGIN, {"username": f"x{n}", "password": "no"}, REMOTE_ADDR="10.0.0.1", HTTP_X_TEST_CLIENT="198.51.100.4")
    from axes.models import AccessAttempt

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.4"}


# --- unlock ---------------------------------------------------------------------------------------
def test_supervisor_sees_and_unlocks_a_user_name(client, client_for, personas, settings):
    # given
    personas.agent
    for n in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, "agent", "wrong", ip=f"10.0.1.{n}")
    sup = client_for("supervisor")
    page = sup.get(reverse("accounts:lockouts"))
    assert page.status_code == 200 and "agent" in page.content.decode()
    # when
    response = sup.post(reverse("accounts:lockout_unlock"), {"kind": "username", "value": "agent"}, follow=True)
    # then
    assert "Unlocked agent" in response.content.decode()
    sup.logout()
    assert post_login(client, "agent", "pw", ip="10.0.1.0").status_code == 302


def test_manager_unlocks_an_address(client, client_for, personas, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 6
    personas.agent
    for n in range(6):
        post_login(client, f"g{n}", "wrong", ip="203.0.113.9")
    mgr = client_for("manager")
    assert "203.0.113.9" in mgr.get(reverse("accounts:lockouts")).content.decode()
    mgr.post(reverse("accounts:lockout_unlock"), {"kind": "ip_address", "value": "203.0.113.9"})
    mgr.logout()
    assert post_login(client, "agent", "pw", ip="203.0.113.9").status_code == 302


@pytest.mark.parametrize("role, status", [
    ("frontdesk", 403), ("agent", 403), ("technician", 403), ("outsider", 403),
    ("supervisor", 200), ("manager", 200),
])
def test_unlock_pages_by_role(client_for, role, status):
    client = client_for(role)
    assert client.get(reverse("accounts:lockouts")).status_code == status
    expected_post = 302 if status == 200 else 403
    assert client.post(reverse("accounts:lockout_unlock"), {"kind": "username", "value": "x"}).status_code == expected_post


def test_unlock_pages_send_anonymous_to_sign_in(client):
    for url in (reverse("accounts:lockouts"), reverse("accounts:lockout_unlock")):
        response = client.post(url) if url.endswith("unlock/") else client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_lockouts_page_query_count(client_for, client, settings, django_assert_max_num_queries):
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 6
    for user in range(4):
        for n in range(6):
            post_login(client, f"user{user}", "wrong", ip=f"10.7.{user}.1")
    sup = client_for("supervisor")
    sup.get(reverse("accounts:lockouts"))
    with django_assert_max_num_queries(8):
        page = sup.get(reverse("accounts:lockouts"))
    assert page.content.decode().count('name="kind"') == 8  # 4 names + 4 addresses


# --- passwords ------------------------------------------------------------------------------------
def test_staff_change_their_own_password(client_for, personas, client):
    agent = client_for("agent")
    assert reverse("accounts:password_change") in agent.get(reverse("customers:desk")).content.decode()
    response = agent.post(reverse("accounts:password_change"), {
        "old_password": "pw", "new_password1": "Quiet-harbour-42", "new_password2": "Quiet-harbour-42"})
    assert response.status_code == 302
    agent.logout()
    assert post_login(client, "agent", "pw").status_code == 200
    assert post_login(client, "agent", "Quiet-harbour-42").status_code == 302


def test_password_change_refuses_a_wrong_old_password(client_for):
    agent = client_for("agent")
    response = agent.post(reverse("accounts:password_change"), {
        "old_password": "bad", "new_password1": "Quiet-harbour-42", "new_password2": "Quiet-harbour-42"})
    assert response.status_code == 200 and response.context["form"].errors["old_password"]


@pytest.mark.parametrize("lang, greeting", [("en", "Hello"), ("zh-hans", "您好")])
def test_password_reset_by_email_end_to_end(client, personas, settings, lang, greeting,
                                            django_capture_on_commit_callbacks):
    # given
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    agent = personas.agent
    agent.email = "agent@example.com"
    agent.save()
    client.cookies["django_language"] = lang
    # when: the request is served on the address the person uses (the outbox's fast path runs on commit)
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(reverse("accounts:password_reset"), {"email": "agent@example.com"},
                           HTTP_HOST="desk.example.com:8123")
    # then
    assert sent.status_code == 302
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert greeting in body
    link = re.search(r"http://desk\.example\.com:8123(/accounts/password/reset/\S+/)", body).group(1)
    form_page = client.get(link, follow=True, HTTP_HOST="desk.example.com:8123")
    assert form_page.context["validlink"]
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": "Calm-river-77", "new_password2": "Calm-river-77"},
                       HTTP_HOST="desk.example.com:8123")
    assert done.status_code == 302
    assert post_login(client, "agent", "Calm-river-77").status_code == 302
    # the link works once
    client.logout()
    assert client.get(link, follow=True, HTTP_HOST="desk.example.com:8123").context["validlink"] is False


def test_password_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(client, settings, personas):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    personas.agent
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_password_reset_lifts_the_lockout(client, personas, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    agent = personas.agent
    agent.email = "agent@example.com"
    agent.save()
    for n in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, "agent", "wrong", ip=f"10.0.1.{n}")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:password_reset"), {"email": "agent@example.com"})
    link = re.search(r"http://testserver(/\S+/)", mail.outbox[0].body).group(1)
    page = client.get(link, follow=True)
    client.post(page.redirect_chain[-1][0], {"new_password1": "Calm-river-77", "new_password2": "Calm-river-77"})
    assert post_login(client, "agent", "Calm-river-77", ip="10.0.9.9").status_code == 302


# --- two-step sign-in -----------------------------------------------------------------------------
def current_code(device, at: datetime) -> str:
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    totp.time = at.timestamp()
    return f"{totp.token():0{device.digits}d}"


def enrol(client, user, at):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    page = client.get(reverse("accounts:two_factor"))
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(reverse("accounts:two_factor"), {"code": current_code(device, at)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_required_role_is_sent_to_enrolment_first_then_signs_in_with_a_code(client, personas):
    # given
    conf = AccountSettings.current()
    conf.require_2fa_supervisor = True
    conf.save()
    supervisor = personas.supervisor
    with time_machine.travel(T0, tick=False) as clock:
        # when: signing in without an authenticator app
        assert post_login(client, "supervisor", "pw").status_code == 302
        # then: every page sends them to enrolment
        for url in (reverse("home"), reverse("tickets:list"), reverse("notifications")):
            response = client.get(url)
            assert response.status_code == 302 and response["Location"] == reverse("accounts:two_factor"), url
        device = enrol(client, supervisor, T0)
        assert client.get(reverse("notifications")).status_code == 200
        client.post(reverse("logout"))

        # when: signing in again, the password alone is not enough
        clock.shift(timedelta(minutes=2))
        response = post_login(client, "supervisor", "pw")
        assert response["Location"] == reverse("accounts:login_code")
        assert not signed_in(client)
        assert client.get(reverse("home"))["Location"].startswith(LOGIN)
        # a wrong code is refused
        wrong = client.post(reverse("accounts:login_code"), {"code": "000000" if current_code(device, T0 + timedelta(minutes=2)) != "000000" else "111111"})
        assert wrong.status_code == 200 and "not right" in wrong.content.decode()
        assert not signed_in(client)
        # the right one signs in (after django-otp's short back-off following a wrong code)
        clock.shift(timedelta(seconds=5))
        ok = client.post(reverse("accounts:login_code"), {"code": current_code(device, T0 + timedelta(minutes=2, seconds=5))})
        assert ok.status_code == 302 and signed_in(client)
        assert client.get(reverse("notifications")).status_code == 200


def test_roles_not_required_are_not_sent_to_enrolment(client, personas):
    conf = AccountSettings.current()
    conf.require_2fa_supervisor = True
    conf.save()
    personas.agent
    post_login(client, "agent", "pw")
    assert client.get(reverse("notifications")).status_code == 200


def test_optional_two_step_for_an_agent_and_wrong_codes_count_towards_the_lockout(client, client_for, personas, settings):
    agent = personas.agent
    with time_machine.travel(T0, tick=False) as clock:
        c = client_for("agent")
        device = enrol(c, agent, T0)
        c.logout()
        clock.shift(timedelta(minutes=2))
        assert post_login(client, "agent", "pw")["Location"] == reverse("accounts:login_code")
        for _n in range(settings.AXES_FAILURE_LIMIT - 1):
            assert client.post(reverse("accounts:login_code"), {"code": "999999"}).status_code == 200
        locked = client.post(reverse("accounts:login_code"), {"code": "999999"})
        assert locked.status_code == 429
        # even the right code no longer helps, and the password step is locked too
        assert client.post(reverse("accounts:login_code"), {"code": current_code(device, T0 + timedelta(minutes=2))}).status_code in (302, 429)
        assert not signed_in(client)
        assert post_login(client, "agent", "pw", ip="10.3.3.3").status_code == 429


def test_two_step_cannot_be_turned_off_while_the_role_requires_it(client_for, personas):
    conf = AccountSettings.current()
    conf.require_2fa_manager = True
    conf.save()
    manager = personas.manager
    with time_machine.travel(T0, tick=False):
        c = client_for("manager")
        enrol(c, manager, T0)
        c.post(reverse("accounts:two_factor"), {"action": "remove"})
    from django_otp.plugins.otp_totp.models import TOTPDevice

    assert TOTPDevice.objects.filter(user=manager, confirmed=True).exists()


def test_admin_login_goes_through_the_same_sign_in(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_a_manager_requires_two_step_sign_in_in_the_admin(client_for, personas):
    """The requirement is a site setting the manager edits in the admin (like the ticket settings)."""
    manager = personas.manager
    manager.is_staff = True
    manager.save()
    client = client_for("manager")
    AccountSettings.current()
    url = reverse("admin:accounts_accountsettings_change", args=[1])
    assert client.get(url).status_code == 200
    response = client.post(url, {"require_2fa_supervisor": "on", "require_2fa_manager": "on"})
    assert response.status_code == 302
    conf = AccountSettings.current()
    assert conf.require_2fa_supervisor and conf.require_2fa_manager
    # and can remove a lost phone's authenticator
    from django.contrib.auth.models import Group

    assert Group.objects.get(name="manager").permissions.filter(codename="delete_totpdevice").exists()
    assert client_for("agent").get(url).status_code in (302, 403)


def test_a_request_without_an_address_still_signs_in(client, personas):
    """force_login and other code-built requests have no REMOTE_ADDR: no crash (PostgreSQL's inet column)."""
    client.force_login(personas.agent)
    assert client.get(reverse("accounts:password_change")).status_code == 200
    client.logout()
    assert post_login(client, "agent2-missing", "x", ip="").status_code == 200


def test_a_10kb_user_name_is_a_failed_sign_in_counted_like_any_other(client, db):
    """axes stores the name in a 255-character column: PostgreSQL refused the whole name (a 500)."""
    from axes.models import AccessAttempt

    response = client.post(reverse("login"), {"username": "x" * 10_000, "password": "wrong"})
    assert response.status_code == 200
    client.post(reverse("login"), {"username": "x" * 10_000, "password": "wrong"})
    attempt = AccessAttempt.objects.get()
    assert attempt.username == "x" * 150 and attempt.failures_since_start == 2
