"""Hostile input never answers 5xx (issue 13 item 5).

The walk: every named URL pattern (the resolver is iterated, admin included), with its path ids filled
from real objects the fixture creates and again with 22-digit ids, as every persona (anonymous, the
five roles, an outsider; the admin's pages also as a superuser), GET with hostile query strings and
POST of every form the page renders with hostile values in every field. Any 5xx fails the test with
the list of requests that caused one.
"""
import logging
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests.servicedesk import hostile as H

pytestmark = [pytest.mark.django_db]

ROLES = [None, "frontdesk", "agent", "supervisor", "technician", "manager", "outsider"]
GENERIC_POST_FIELDS = ["reason", "to", "helpful", "article", "next", "re_offer", "technician", "version", "body",
                       "name", "signature", "amount", "quantity", "part", "date", "kind", "lang", "client_token"]


@pytest.fixture
def world(personas, customer_factory, settings, tmp_path):
    """One real object of every kind a URL is about, made through the services."""
    settings.MEDIA_ROOT = tmp_path
    from customers.models import Region
    from customers.services import asset_create, contact_log
    from dispatch.models import Skill, Technician
    from dispatch.services import workorder_create, workorder_force_dispatch
    from followups.services import callback_schedule_manual, survey_invitation_create
    from knowledge.models import Article
    from knowledge.services import ArticleInput, article_create, article_publish
    from reports.services import export_request, subscription_create
    from servicedesk.services import notify
    from sla.models import BusinessCalendar, SLAPolicy
    from sla.services import calendar_day_set
    from tickets.services import attachment_add, ticket_create

    now = timezone.now()
    region = Region.objects.create(name="朝阳 İstanbul", code="CY")
    customer = customer_factory(name="İstanbul Straße ﬁ 😀", region=region, address="建国路 88 号")
    asset = asset_create(customer=customer, created_by=personas.frontdesk, product="Printer", model="LJ-2200")
    contact = contact_log(handled_by=personas.frontdesk, channel="phone", customer=customer)
    ticket = ticket_create(customer=customer, kind="repair", subject="Printer İ jams 😀", created_by=personas.agent,
                           asset=asset, contact=contact, assignee=personas.agent)
    ticket_create(customer=customer, kind="complaint", subject="Rude engineer", created_by=personas.agent)
    attachment_add(ticket=ticket, uploaded_by=personas.agent, content_type="text/plain",
                   file=SimpleUploadedFile("note.txt", b"hello", content_type="text/plain"))
    calendar = BusinessCalendar.objects.order_by("pk").first()
    calendar_day_set(calendar=calendar, date=now.date(), kind="holiday", name="Test day")
    assert SLAPolicy.objects.exists(), "sla migrations ship default policies"
    skill = Skill.objects.create(name="Printers", code="printers")
    tech = Technician.objects.create(user=personas.technician)
    tech.skills.add(skill)
    tech.regions.add(region)
    wo = workorder_create(ticket=ticket, created_by=personas.agent, skill=skill, estimated_value=Decimal("500"),
                          window_start=now + timedelta(hours=2), window_end=now + timedelta(hours=4), asset=asset)
    workorder_force_dispatch(work_order=wo, technician=tech, actor=personas.supervisor, reason="walk")
    for title, visibility in (("How to clear a printer jam İstanbul ß ﬁ 😀", "public"),
                              ("İnternal printer notes", "internal")):
        article = article_create(data=ArticleInput(title=title, body="Open the **tray**, İ ß ﬁ 😀 e\u0301 ＬＪ－２２００.",
                                                   visibility=visibility), author=personas.agent)
        article_publish(article=article, actor=personas.agent)
    callback_schedule_manual(customer=customer, due_at=now + timedelta(days=1), actor=personas.agent, ticket=ticket)
    invitation = survey_invitation_create(ticket=ticket)
    assert invitation is not None
    personas.manager.email = "manager@example.com"
    personas.manager.is_staff = True  # as the demo data has it: the manager opens the admin
    personas.manager.save()
    from reports.periods import last_complete_period
    from reports.selectors import SECTIONS

    export_request(user=personas.manager, table=_first_table(), fmt="csv",
                   params=last_complete_period("month").as_params())
    subscription_create(user=personas.manager, frequency="month", sections=list(SECTIONS)[:1],
                        created_by=personas.manager)
    personas.agent.email = "agent@example.com"
    personas.agent.save(update_fields=["email"])
    notify(recipient=personas.agent, message="İ 😀", url="/", email=True)
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=personas.manager, name="İ phone", confirmed=False)  # the admin's QR page
    from api.services import token_create

    token_create(name="İ exchange 😀", scopes=["tickets:read"], created_by=personas.manager)  # the API token pages
    from servicedesk.models import OutboxMessage

    from webhooks.models import WebhookDelivery
    from webhooks.services import webhook_create, webhook_send_test

    hook = webhook_create(name="İ 😀 ERP", url="https://1.1.1.1/hook", events=["ticket.opened"],
                          created_by=personas.manager)  # a public IP literal: no DNS in the walk
    test_event = webhook_send_test(webhook=hook, actor=personas.manager)
    WebhookDelivery.objects.create(webhook=hook, message=test_event, delivery_id=test_event.idempotency_key,
                                   event="webhook.test", attempt=1, status_code=500, error="İ 😀 <b>x</b>", at=now)
    OutboxMessage.objects.update(status=OutboxMessage.Status.FAILED, last_error="İ 😀 <b>gateway</b>")  # retry page
    from mailin.models import Mailbox
    from mailin.services import inbound_email_process

    Mailbox.objects.create(name="İ 😀 service", host="imap.example.com", username="service@example.com",
                           password_env="MAILIN_WALK_PASSWORD")
    inbound_email_process(raw="From: İ 😀 <walk@example.com>\r\nSubject: İ 😀\r\n\r\nİ ß ﬁ 😀".encode())
    from maintenance.services import plan_create, visits_create_due  # issue 17: a key account's plan and visit

    customer.account_manager = personas.agent
    customer.save(update_fields=["account_manager"])
    plan_create(customer=customer, created_by=personas.supervisor, title="İ 😀 <b>chiller</b>", kind="months",
                interval_months=1, start_on=now.date(), checklist="İ 😀\n<b>x</b>", skill=skill)
    visits_create_due(now=now, dispatch=False)
    from contracts.models import ContractLevel  # issue 17: a contract with its reminders, a lead, an action
    from contracts.services import contract_save, reminders_sweep
    from improvement.services import action_create
    from leads.services import lead_record

    contract_save(by=personas.supervisor, customer=customer, level=ContractLevel.objects.order_by("pk").first(),
                  start_date=now.date() - timedelta(days=300), end_date=now.date() + timedelta(days=5),
                  price=Decimal("1200"), notes="İ 😀 <b>x</b>", assets=[asset])
    reminders_sweep(now=now)
    inquiry = ticket_create(customer=customer, kind="inquiry", subject="İ 😀 price?", created_by=personas.agent,
                            assignee=personas.agent)
    lead_record(ticket=inquiry, by=personas.agent, outcome="lost", reason="price", customer_words="İ 😀 <b>too dear</b>")
    action_create(problem="İ 😀 <b>queue</b>", measure="İ 😀", owner=personas.agent, due_date=now.date(),
                  by=personas.supervisor)
    # issue 19: a tag, canned replies (shared and personal, with a tag to add), a bulk change
    from macros.models import Macro
    from macros.services import macro_save
    from tickets.bulk import bulk_start
    from tickets.services import tag_create, ticket_set_tags

    tag = tag_create(name="İ 😀 <b>tag</b>", actor=personas.manager)
    ticket_set_tags(ticket=ticket, tags=[tag], actor=personas.agent)
    macro_save(macro=Macro(name="İ 😀 <b>shared</b>", text_zh="{greeting} 😀 <b>x</b>", set_priority=1),
               actor=personas.manager, tags=[tag], shared=True)
    macro_save(macro=Macro(name="İ mine", text_en="{name} <script>x</script>"), actor=personas.agent)
    bulk_start(actor=personas.supervisor, kind="priority", params={"priority": 1}, ticket_ids=[ticket.pk])
    personas.outsider  # noqa: B018 — created now, not mid-walk
    return {"ticket": ticket, "article": Article.objects.filter(visibility="public").first()}


def _first_table():
    from reports.services import TABLE_SECTION

    return next(iter(TABLE_SECTION))


def _client(role, personas):
    client = Client(raise_request_exception=False)
    if role == "superuser":
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
        client.force_login(user)
    elif role is not None:
        client.force_login(personas.by_role(role))
    return client


def _gated(response) -> bool:
    """The view turned the request away before reading parameters: 403/404, or sent to a login page."""
    if response.status_code in (403, 404):
        return True
    return response.status_code == 302 and "login/" in response.get("Location", "")


def _server_error(route, response) -> bool:
    """A 5xx, except /healthz's documented 503 ("something needs acting on": in a test no beat has run
    the every-minute sweeps), which is its JSON report, not a failure."""
    if route.name == "healthz" and response.status_code == 503:
        return response.json().get("status") != "fail"
    return response.status_code >= 500


def _walk(client, routes, role, failures, counts):
    """GET every route (real ids, then 22-digit ids), hostile queries, then POST its forms hostile.

    Never posts to a logout (signing out mid-walk would turn the rest into anonymous requests, and
    the walk would pass by answering 302 to everything: checked after each route) or a delete page.
    """
    posted = set()
    for route in routes:
        for huge in ((False, True) if route.kwargs else (False,)):
            url = H.url_for(route, H.resolve_kwarg, huge=huge)
            response = client.get(url)
            counts["requests"] += 1
            if _server_error(route, response):
                failures.append((role, "GET", url, response.status_code))
            if huge:
                continue
            plain_status = response.status_code
            forms, get_forms = [], None
            if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
                forms, get_forms = H.page_forms(response.content.decode(), url)
            queries = list(H.hostile_queries(get_forms))
            # Turned away without parameters, turned away with them: one hostile query proves the gate
            # holds; the whole set goes to the views that answer (and the admin's lists, which filter).
            if _gated(response) or (route.name.startswith("admin:") and not route.name.endswith("_changelist")):
                queries = queries[:1]
            for query in queries:
                response = client.get(f"{url}?{query}")
                counts["requests"] += 1
                if _server_error(route, response):
                    failures.append((role, "GET", f"{url}?{query[:200]}", response.status_code))
            targets = []
            for action, data in H.form_posts(forms, url):
                key = (action, tuple(data))
                if action.endswith("/logout/") or "/delete/" in url or "/delete/" in action or key in posted:
                    continue
                targets.append((action, data))
            posted.update((a, tuple(d)) for a, d in targets)
            if plain_status == 405 and not url.endswith("/logout/") and "/delete/" not in url:  # POST-only: post the usual field names
                targets += [(url, {n: v for n in GENERIC_POST_FIELDS}) for v in H.HOSTILE_VALUES]
            for action, data in targets:
                response = client.post(action, data)
                counts["requests"] += 1
                counts["posts"] += 1
                if _server_error(route, response):
                    failures.append((role, "POST", action, response.status_code, sorted(data)[:8],
                                     next(iter(data.values()))[:30]))
        # A walk that lost its login would pass by answering 302 to everything.
        assert role is None or "_auth_user_id" in client.session, f"{role} was signed out at {route.name}"


@pytest.mark.slow
def test_every_url_as_every_role_with_hostile_input_never_answers_5xx(world, personas, settings):
    # given
    settings.DEBUG = False
    routes = list(H.iter_routes())
    site = [r for r in routes if not r.name.startswith("admin:")]
    admin_routes = [r for r in routes if r.name.startswith("admin:")]
    failures, counts = [], {"requests": 0, "posts": 0}
    started = time.monotonic()
    # when
    logging.disable(logging.CRITICAL)  # thousands of expected 400s and 404s would flood the log
    try:
        for role in ROLES:
            # The admin is walked by the anonymous visitor (turned away) and, fully, by a superuser.
            _walk(_client(role, personas), site + (admin_routes if role is None else []), role, failures, counts)
        _walk(_client("superuser", personas), admin_routes, "superuser", failures, counts)
    finally:
        logging.disable(logging.NOTSET)
    elapsed = time.monotonic() - started
    # then
    print(f"\nhostile walk: {len(site)} site + {len(admin_routes)} admin URL patterns, {len(ROLES)} roles "
          f"(admin: anonymous + superuser), {len(H.HOSTILE_VALUES)} values; {counts['requests']} requests "
          f"({counts['posts']} POSTs) in {elapsed:.1f} s")
    assert len(site) >= 80 and len(admin_routes) >= 100, "the walk lost its URLs"
    assert H.COUNT_PROBES <= set(H.HOSTILE_VALUES), "a formset count probe is no longer a hostile value"
    assert not failures, "\n".join(map(str, failures[:40])) + f"\n… {len(failures)} in all"
