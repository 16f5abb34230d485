"""The bell (issue 11 items 4 and 6): each person's language, their channel per kind, one line per
ticket, "mark all read", the daily digest."""
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from servicedesk import preferences, selectors
from servicedesk.digests import notification_digests_send
from servicedesk.models import Notification, NotificationDigest, NotificationPreference, StaffProfile
from servicedesk.services import notify, notify_many
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def speaks(user, language, email=True):
    StaffProfile.objects.update_or_create(user=user, defaults={"language": language})
    if email:
        user.email = f"{user.username}@example.com"
        user.save(update_fields=["email"])
    return user


def test_a_chinese_supervisor_gets_chinese_bell_and_email_when_an_english_agent_triggers_it(
        personas, customer_factory, django_capture_on_commit_callbacks):
    """Work order with no eligible technician → the supervisors are told, each in their language."""
    from customers.models import Region
    from dispatch.models import Skill
    from dispatch.services import workorder_auto_dispatch, workorder_create
    from tickets.services import ticket_create

    # given an English-speaking agent, a Chinese-speaking supervisor and an English-speaking one
    agent = speaks(personas.agent, "en")
    chinese = speaks(personas.supervisor, "zh-hans")
    english = speaks(make_user("sup_en", "supervisor"), "en")
    region = Region.objects.create(name="Chaoyang", code="chaoyang")
    customer = customer_factory(region=region, address="1 Jianguo Rd")
    now = timezone.now()
    # when the agent, working in English, creates a work order nobody can take
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(customer=customer, kind="repair", subject="AC broken", created_by=agent, now=now)
        wo = workorder_create(ticket=ticket, created_by=agent, skill=Skill.objects.create(name="AC", code="ac"),
                              estimated_value=Decimal("800"), window_start=now + timedelta(hours=2),
                              window_end=now + timedelta(hours=4), now=now)
        workorder_auto_dispatch(work_order=wo, actor=agent, now=now)
    # then the Chinese supervisor's bell entry and e-mail are in Chinese, the English one's in English
    zh = Notification.objects.get(recipient=chinese, kind="dispatch_escalation")
    en = Notification.objects.get(recipient=english, kind="dispatch_escalation")
    assert "已升级" in zh.message and wo.number in zh.message
    assert "escalated" in en.message and "已升级" not in en.message
    to_chinese = [m for m in mail.outbox if m.to == [chinese.email]]
    to_english = [m for m in mail.outbox if m.to == [english.email]]
    assert len(to_chinese) == 1 and "已升级" in to_chinese[0].subject + to_chinese[0].body
    assert len(to_english) == 1 and "escalated" in to_english[0].subject
    # and both are grouped under the ticket
    assert zh.group == f"ticket:{ticket.pk}"


def test_a_lazy_message_with_lazy_params_is_rendered_per_recipient(personas):
    from sla.models import Target

    zh, en = speaks(personas.supervisor, "zh-hans", email=False), speaks(personas.agent, "en", email=False)
    text = gettext_lazy("SLA warning: %(number)s %(target)s is due at %(deadline)s.")
    with translation.override("en"):
        rows = notify_many([preferences.Note(recipient=u, url="/t/1/", kind="sla_warning", message=preferences.Message(
            text, {"number": "SR-1", "target": Target.FIRST_RESPONSE.label, "deadline": "2026-11-24 09:00"}))
            for u in (zh, en)])
    by_user = {n.recipient_id: n.message for n in rows}
    assert by_user[zh.pk].startswith("时限预警") and "Response" not in by_user[zh.pk]
    assert by_user[en.pk].startswith("SLA warning: SR-1")


def test_a_batch_translates_shared_texts_once_per_language_and_keeps_plurals(personas):
    """notify_many renders a sweep's thousands of notes with each shared gettext_lazy text translated
    once per language (issue 14); the notes still read right: interleaved languages, and an
    ngettext_lazy text picks its plural from each note's own params."""
    from django.utils.translation import ngettext_lazy

    from sla.models import Target

    zh, en = speaks(personas.supervisor, "zh-hans", email=False), speaks(personas.agent, "en", email=False)
    text = gettext_lazy("SLA warning: %(number)s %(target)s is due at %(deadline)s.")
    waiting = ngettext_lazy("%(count)s ticket waits.", "%(count)s tickets wait.", "count")
    notes = []
    for i in range(6):
        notes.append(preferences.Note(recipient=(zh, en)[i % 2], url=f"/t/{i}/", kind="sla_warning",
                                      message=preferences.Message(text, {"number": f"SR-{i}", "deadline": "09:00",
                                                                         "target": Target.FIRST_RESPONSE.label})))
        notes.append(preferences.Note(recipient=en, url=f"/w/{i}/", kind="general",
                                      message=preferences.Message(waiting, {"count": i})))
    with translation.override("en"):
        rows = notify_many(notes)
    got = [n.message for n in rows]
    for i in range(6):
        warning, plural = got[2 * i], got[2 * i + 1]
        if i % 2 == 0:
            assert warning.startswith("时限预警") and f"SR-{i}" in warning and "Response" not in warning
        else:
            assert warning == f"SLA warning: SR-{i} First response is due at 09:00."
        assert plural == (f"{i} ticket waits." if i == 1 else f"{i} tickets wait.")


def test_channel_preferences_decide_bell_email_or_digest(personas, django_capture_on_commit_callbacks):
    sup = speaks(personas.supervisor, "en")
    # defaults: a supervisor gets SLA breaches by bell and e-mail, warnings in the bell only
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=sup, message="breach", url="/a/", email=True, kind="sla_breach")
        notify(recipient=sup, message="warning", url="/b/", email=True, kind="sla_warning")
    assert [m.subject for m in mail.outbox] == ["breach"]
    assert selectors.bell_unread_count(sup) == 2
    # when they choose e-mail only for breaches and the digest for warnings
    preferences.preferences_save(user=sup, channels={"sla_breach": "email", "sla_warning": "digest", "bogus": "x"})
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=sup, message="breach 2", url="/c/", email=True, kind="sla_breach")
        notify(recipient=sup, message="warning 2", url="/d/", email=True, kind="sla_warning")
    # then the breach is mailed and not in the bell; the warning waits for the digest
    assert [m.subject for m in mail.outbox] == ["breach 2"]
    assert selectors.bell_unread_count(sup) == 2
    assert Notification.objects.get(message="warning 2").channel == "digest"
    assert NotificationPreference.objects.filter(user=sup).count() == 2


def test_role_defaults_differ_where_sensible(personas):
    assert preferences.channels_for(personas.manager)["survey_low_score"] == "digest"
    assert preferences.channels_for(personas.supervisor)["survey_low_score"] == "both"
    assert preferences.channels_for(personas.technician)["job_offer"] == "both"
    # a technician chooses for job offers, everything else, the improvement actions they may own and the
    # complaints handed to a department they are a member of (issue 17)
    assert dict(preferences.kinds_for(personas.technician)).keys() == {"job_offer", "general", "improvement_actions",
                                                                       "department_handoff"}


# 08:00 in the department's zone: "an hour later" must still be the same local day (run at 23:30
# Shanghai time, the last assertion below saw tomorrow's digest go — rightly).
@time_machine.travel(datetime(2026, 11, 24, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)
def test_the_daily_digest_goes_once_per_person_per_day_in_their_language(personas):
    sup = speaks(personas.supervisor, "zh-hans")
    preferences.preferences_save(user=sup, channels={"knowledge_review": "digest"})
    for n in (1, 2, 3):
        notify(recipient=sup, message=gettext_lazy("Good morning: %(n)s callbacks to make today."), params={"n": n},
               url=f"/kb/{n}/", email=True, kind="knowledge_review")
    assert selectors.bell_unread_count(sup) == 0 and mail.outbox == []
    now = timezone.now() + timedelta(minutes=1)
    # when the digest runs (twice: beat fired twice)
    assert notification_digests_send(now=now) == 1
    assert notification_digests_send(now=now) == 0
    # then one e-mail (an outbox row, delivered by the outbox) in Chinese lists all three, and they are marked digested
    from servicedesk.outbox import outbox_deliver

    outbox_deliver()
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "每日" in mail.outbox[0].subject or "摘要" in mail.outbox[0].subject
    assert body.count("今天有") == 3 and "/kb/3/" in body
    assert NotificationDigest.objects.get(user=sup).count == 3
    assert not Notification.objects.filter(digested_at__isnull=True).exists()
    # a new one the same day waits for tomorrow's digest
    notify(recipient=sup, message="later", email=True, kind="knowledge_review")
    assert notification_digests_send(now=now + timedelta(hours=1)) == 0
    assert notification_digests_send(now=now + timedelta(days=1)) == 1


def test_the_bell_shows_one_line_per_ticket_newest_first_and_marks_all_read(client, personas,
                                                                             django_assert_max_num_queries):
    sup = personas.supervisor
    for i in range(3):
        notify(recipient=sup, message=f"ticket A #{i}", url="/tickets/1/", kind="sla_warning", group="ticket:1")
    notify(recipient=sup, message="ticket B", url="/tickets/2/", kind="sla_warning", group="ticket:2")
    notify(recipient=sup, message="by e-mail only", url="/x/", kind="general", email=True)
    Notification.objects.filter(message="by e-mail only").update(channel="email")
    client.force_login(sup)
    # when the bell opens
    with django_assert_max_num_queries(6):
        response = client.get(reverse("notifications_bell"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    # then two lines, newest first, ticket A with its count, and not the e-mail-only one
    assert html.index("ticket B") < html.index("ticket A #2")
    assert "ticket A #0" not in html and "by e-mail only" not in html
    groups = selectors.bell_groups(sup)
    assert [(n.message, count) for n, count in groups] == [("ticket B", 1), ("ticket A #2", 3)]
    assert selectors.bell_unread_count(sup) == 2
    # the badge in the layout counts lines too
    page = client.get(reverse("notifications")).content.decode()
    assert 'id="bell-count">2<' in page
    # when "mark all read" is pressed in the dropdown (htmx)
    response = client.post(reverse("notifications_mark_read"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "No new notifications." in response.content.decode()
    assert 'hx-swap-oob="true"' in response.content.decode()
    assert selectors.bell_unread_count(sup) == 0


def test_following_a_bell_line_reads_its_whole_group(client, personas):
    sup = personas.supervisor
    notes = [notify(recipient=sup, message=f"A{i}", url="/sla/", group="ticket:1") for i in range(2)]
    other = notify(recipient=sup, message="B", url="/sla/", group="ticket:2")
    client.force_login(sup)
    response = client.get(reverse("notification_open", args=[notes[-1].pk]))
    assert response.status_code == 302 and response["Location"] == "/sla/"
    assert Notification.objects.filter(pk__in=[n.pk for n in notes], read_at__isnull=True).count() == 0
    assert Notification.objects.get(pk=other.pk).read_at is None
    # someone else's notification is not found
    client.force_login(personas.agent)
    assert client.get(reverse("notification_open", args=[other.pk])).status_code == 404


def test_the_language_switch_stores_the_language_and_login_activates_it(client, personas):
    agent = personas.agent
    client.force_login(agent)
    # when the agent switches to Chinese in the top bar
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert StaffProfile.objects.get(user=agent).language == "zh-hans"
    # then, signing in again from a browser with no language cookie, the app is in Chinese
    client.logout()
    client.cookies.clear()
    response = client.post(reverse("login"), {"username": "agent", "password": "pw"}, follow=True)
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in response.content.decode()


@pytest.mark.parametrize("role", ["frontdesk", "agent", "supervisor", "technician", "manager"])
def test_every_role_can_set_its_preferences(client_for, personas, role):
    client = client_for(role)
    response = client.get(reverse("notification_preferences"))
    assert response.status_code == 200
    assert "kind_general" in response.content.decode()
    response = client.post(reverse("notification_preferences"),
                           {"language": "zh-hans", "kind_general": "digest"})
    assert response.status_code == 302
    user = personas.by_role(role)
    assert preferences.channels_for(user)["general"] == "digest"
    assert preferences.user_language(user) == "zh-hans"


def test_a_scheduled_report_email_is_in_the_subscribers_language(personas):
    from reports.services import deliveries_send_due, subscription_create

    manager = speaks(personas.manager, "zh-hans")
    now = timezone.now()
    subscription_create(user=manager, frequency="day", sections=["tickets"], created_by=manager, now=now - timedelta(days=3))
    with translation.override("en"):
        assert deliveries_send_due(now=now) == 1
    from servicedesk.outbox import outbox_deliver

    outbox_deliver()  # the e-mail is an outbox row; the outbox delivers it
    assert mail.outbox[0].subject.startswith("客服报表")
