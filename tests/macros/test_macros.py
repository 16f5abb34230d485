"""Canned replies and macros (issue 19 item 1): variables in the customer's language, the actions run
through the ticket services with their events and rules, all or nothing, usage counted; who may use,
write and curate them; the reply box's picker."""
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from macros.models import Macro
from macros.selectors import PICKER_LIMIT, macros_for
from macros.services import macro_apply, macro_save
from tickets.models import Ticket, TicketEvent, TicketReply
from tickets.services import tag_create

pytestmark = pytest.mark.django_db
S = Ticket.Status


def shared(personas, **kw):
    kw.setdefault("name", "Parts ordered")
    kw.setdefault("text_zh", "{greeting}，您好！{number}所需配件已订购，{agent}会在{promised}前联系您。")
    kw.setdefault("text_en", "{greeting}, the part for {number} is on order; {agent} will call you by {promised}.")
    tags = kw.pop("tags", [])
    return macro_save(macro=Macro(**kw), actor=personas.manager, tags=tags, shared=True)


def test_text_is_filled_in_the_customers_language(client_for, ticket_factory, customer_factory, personas):
    # given one customer who reads Chinese, one who reads English
    zh = ticket_factory(customer=customer_factory(name="王芳", preferred_language="zh-hans"))
    en = ticket_factory(customer=customer_factory(name="Wang Fang", phone="13800000002", preferred_language="en"))
    macro = shared(personas)
    client = client_for("agent")
    # when
    zh_text = client.get(reverse("macros:fill", args=[zh.pk, macro.pk])).json()["text"]
    en_text = client.get(reverse("macros:fill", args=[en.pk, macro.pk])).json()["text"]
    # then
    assert zh_text.startswith("尊敬的王芳客户，您好！" + zh.number + "所需配件已订购，Agent会在")
    assert en_text.startswith(f"Dear Wang Fang, the part for {en.number} is on order; Agent will call you by ")
    assert "{" not in zh_text + en_text  # every variable filled (the promised time from the SLA clock)
    # a template written in one language only still works for the other
    only_zh = shared(personas, name="Only Chinese", text_en="")
    assert client.get(reverse("macros:fill", args=[en.pk, only_zh.pk])).json()["text"].startswith("尊敬的Wang Fang客户，您好！")


def test_the_editor_refuses_an_unknown_variable_in_both_languages(client_for, settings):
    client = client_for("agent")
    data = {"name": "Typo", "text_zh": "您好 {nmae}", "text_en": "", "public": "on", "assign": ""}
    r = client.post(reverse("macros:create"), data)
    assert r.status_code == 400 and "Unknown variable: {nmae}" in r.content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    r = client.post(reverse("macros:create"), data)
    assert r.status_code == 400 and "未知变量：{nmae}" in r.content.decode()
    assert not Macro.objects.exists()


def test_a_macro_replies_and_moves_the_ticket_through_the_services(ticket_factory, personas):
    # given
    billing = tag_create(name="billing", actor=personas.manager)
    macro = shared(personas, set_status=S.WAITING, set_priority=Ticket.Priority.HIGH, assign=Macro.Assign.ME,
                   tags=[billing])
    ticket = ticket_factory()
    # when
    done = macro_apply(ticket=ticket, macro=macro, actor=personas.agent, body="Edited text for the customer",
                       expected_version=ticket.version)
    # then
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee_id) == (S.WAITING, Ticket.Priority.HIGH, personas.agent.pk)
    assert list(ticket.tags.values_list("name", flat=True)) == ["billing"]
    reply = TicketReply.objects.get(ticket=ticket)
    assert (reply.body, reply.public, reply.author_id) == ("Edited text for the customer", True, personas.agent.pk)
    kinds = list(TicketEvent.objects.filter(ticket=ticket, actor=personas.agent).values_list("kind", flat=True))
    for kind in ("reply", "status", "priority", "taken", "tags"):
        assert kind in kinds, kind
    assert ticket.first_response_at is not None  # the reply counts as the first response, as from the box
    status_event = TicketEvent.objects.get(ticket=ticket, kind="status")
    assert status_event.message == "Macro “Parts ordered”"
    assert done["status"] == S.WAITING and done["tags"] == ["billing"]
    macro.refresh_from_db()
    assert macro.use_count == 1 and macro.last_used_at is not None


def test_a_refused_action_saves_nothing(ticket_factory, personas):
    # given a ticket already resolved: "in progress" is not a move the state machine allows from there
    from tickets.services import ticket_resolve

    ticket = ticket_factory()
    ticket_resolve(ticket=ticket, actor=personas.agent, solution="Fixed")
    macro = shared(personas, set_status=S.IN_PROGRESS)
    # when / then
    with pytest.raises(ValidationError):
        macro_apply(ticket=ticket, macro=macro, actor=personas.agent, body="We are on it")
    assert not TicketReply.objects.filter(ticket=ticket).exists()
    macro.refresh_from_db()
    assert macro.use_count == 0


def test_a_stale_page_and_a_double_click(ticket_factory, personas):
    from tickets.services import StaleTicket

    ticket = ticket_factory()
    macro = shared(personas, set_priority=Ticket.Priority.URGENT)
    with pytest.raises(StaleTicket):
        macro_apply(ticket=ticket, macro=macro, actor=personas.agent, body="Hello", expected_version=ticket.version - 1)
    version = Ticket.objects.get(pk=ticket.pk).version
    for _ in range(2):
        macro_apply(ticket=ticket, macro=macro, actor=personas.agent, body="Hello", client_token="tok-1",
                    expected_version=version)
    assert TicketReply.objects.filter(ticket=ticket).count() == 1
    assert Macro.objects.get(pk=macro.pk).use_count == 1


def test_roles_the_front_desk_uses_canned_replies_but_not_action_macros(ticket_factory, personas):
    ticket = ticket_factory()
    text_only = shared(personas, name="Thanks")
    with_actions = shared(personas, name="Escalate", set_priority=Ticket.Priority.URGENT)
    macro_apply(ticket=ticket, macro=text_only, actor=personas.frontdesk, body="Thank you")
    with pytest.raises(ValidationError) as e:
        macro_apply(ticket=ticket, macro=with_actions, actor=personas.frontdesk, body="Thank you")
    assert e.value.code == "macro_forbidden"


def test_personal_ones_are_private_and_shared_ones_are_curated(client_for, personas):
    mine = macro_save(macro=Macro(name="My sign-off", text_en="Regards, {agent}"), actor=personas.agent)
    theirs = macro_save(macro=Macro(name="Their sign-off", text_en="Bye"), actor=personas.agent2)
    team = shared(personas, name="Team one")
    assert set(macros_for(personas.agent).values_list("name", flat=True)) == {"My sign-off", "Team one"}
    agent = client_for("agent")
    listing = agent.get(reverse("macros:list")).content.decode()
    assert "My sign-off" in listing and "Team one" in listing and "Their sign-off" not in listing
    assert agent.get(reverse("macros:edit", args=[theirs.pk])).status_code == 403
    assert agent.get(reverse("macros:edit", args=[team.pk])).status_code == 403
    assert agent.get(reverse("macros:create") + "?shared=1").status_code == 403
    assert agent.post(reverse("macros:retire", args=[team.pk])).status_code == 403
    assert agent.post(reverse("macros:retire", args=[mine.pk])).status_code == 302
    assert not Macro.objects.get(pk=mine.pk).active
    manager = client_for("manager")
    r = manager.post(reverse("macros:create"), {"name": "Team two", "text_zh": "您好", "shared": "1", "public": "on"})
    assert r.status_code == 302 and Macro.objects.get(name="Team two").owner is None
    r = manager.post(reverse("macros:create"), {"name": "team ONE", "text_zh": "重复", "shared": "1", "public": "on"})
    assert r.status_code == 400 and "already one" in r.content.decode()
    r = manager.post(reverse("macros:create"), {"name": "Empty", "shared": "1", "public": "on"})
    assert r.status_code == 400 and "empty macro does nothing" in r.content.decode()
    assert client_for("technician").get(reverse("macros:list")).status_code == 403


def test_picker_lists_best_first_and_says_when_there_are_more(client_for, ticket_factory, personas):
    ticket = ticket_factory()
    for i in range(PICKER_LIMIT + 3):
        shared(personas, name=f"Reply {i:02d}", text_en="x")
    Macro.objects.filter(name="Reply 07").update(use_count=40)
    client = client_for("agent")
    data = client.get(reverse("macros:pick", args=[ticket.pk])).json()
    assert data["rows"][0]["name"] == "Reply 07" and len(data["rows"]) == PICKER_LIMIT and data["more"]
    assert "type more" in data["more_text"]
    data = client.get(reverse("macros:pick", args=[ticket.pk]) + "?q=reply 1").json()
    assert [r["name"] for r in data["rows"]] == ["Reply 10", "Reply 11", "Reply 12", "Reply 13", "Reply 14"]
    assert not data["more"]
    assert client.get(reverse("macros:pick", args=[999999])).status_code == 404
    assert client_for("technician").get(reverse("macros:pick", args=[ticket.pk])).status_code == 403


def test_sending_the_reply_box_with_a_macro_from_the_ticket_page(client_for, ticket_factory, personas):
    ticket = ticket_factory()
    billing = tag_create(name="billing", actor=personas.manager)
    macro = shared(personas, set_status=S.IN_PROGRESS, tags=[billing])
    client = client_for("agent")
    r = client.post(reverse("tickets:action", args=[ticket.pk, "reply"]), {
        "reply-version": ticket.version, "reply-body": "Edited", "reply-public": "0", "reply-macro": macro.pk,
        "reply-client_token": "abc"}, follow=True)
    page = r.content.decode()
    assert "Internal note added." in page and "Macro “Parts ordered” applied: status → In progress, +billing." in page
    assert TicketReply.objects.get(ticket=ticket).public is False  # the box's choice wins over the macro's
    # a macro that is not yours: refused, the text kept on the form
    other = macro_save(macro=Macro(name="Not yours", text_en="x"), actor=personas.agent2)
    ticket.refresh_from_db()
    r = client.post(reverse("tickets:action", args=[ticket.pk, "reply"]), {
        "reply-version": ticket.version, "reply-body": "Keep me", "reply-public": "1", "reply-macro": other.pk})
    assert r.status_code == 400 and "no longer available to you" in r.content.decode()
    assert "Keep me" in r.content.decode()
    assert 'data-chosen=""' in r.content.decode()  # not one of mine: its name is not shown either
    # a stale page with my macro: the text, the macro and its name come back
    r = client.post(reverse("tickets:action", args=[ticket.pk, "reply"]), {
        "reply-version": ticket.version - 1, "reply-body": "Again", "reply-public": "1", "reply-macro": macro.pk})
    assert r.status_code == 409 and 'data-chosen="Parts ordered"' in r.content.decode()
    assert f'name="reply-macro" value="{macro.pk}"' in r.content.decode()
    # an empty box without a macro is still refused
    r = client.post(reverse("tickets:action", args=[ticket.pk, "reply"]), {
        "reply-version": ticket.version, "reply-body": "  ", "reply-public": "1"})
    assert r.status_code == 400 and "Write something before sending." in r.content.decode()


def test_an_actions_only_macro_sends_no_text(client_for, ticket_factory, personas):
    ticket = ticket_factory()
    macro = shared(personas, name="Take and raise", text_zh="", text_en="", assign=Macro.Assign.ME,
                   set_priority=Ticket.Priority.HIGH)
    r = client_for("agent").post(reverse("tickets:action", args=[ticket.pk, "reply"]), {
        "reply-version": ticket.version, "reply-body": "", "reply-public": "1", "reply-macro": macro.pk}, follow=True)
    assert "applied: priority → High, assigned to Agent." in r.content.decode()
    assert not TicketReply.objects.filter(ticket=ticket).exists()
    assert Ticket.objects.get(pk=ticket.pk).priority == Ticket.Priority.HIGH
