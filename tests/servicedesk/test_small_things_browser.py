"""Issue 11 item 11 in a real browser: the pages changed for the small things, at 1366 px and 360 px in
English and Chinese (screenshots in /tmp/shots/exports/), with the layout checks that failed before:
the "By service tier" table and the SLA dashboard's filter selects are not clipped at 1366 px."""
import os
import secrets
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("SHOTS_DIR", "/tmp/shots/exports"))
SIZES = {"1366": {"width": 1366, "height": 900}, "360": {"width": 360, "height": 740}}


def _context(browser, live_server, user, lang, size):
    context = browser.new_context(viewport=SIZES[size])
    cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": lang, "url": live_server.url}]
    if user is not None:
        client = Client()
        client.force_login(user)
        cookies.append({"name": settings.SESSION_COOKIE_NAME,
                        "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "url": live_server.url})
    context.add_cookies(cookies)
    return context


@pytest.fixture
def data(personas, customer_factory):
    from customers.models import Region
    from dispatch import services as dispatch_services
    from dispatch.models import Skill, Technician
    from followups.models import SurveyInvitation, SurveyResponse
    from followups.services import satisfaction_rollup_rebuild
    from servicedesk.models import Team
    from tickets.services import ticket_create

    from sla.calendars import default_calendar
    from sla.defaults import install_policies
    from sla.models import SLAPolicy, SLATarget

    default_calendar()  # a transactional test's flush removed the migrations' policies: put them back
    install_policies(SLAPolicy, SLATarget)
    now = timezone.now()
    region = Region.objects.create(name="朝阳区", code="chaoyang")
    skill = Skill.objects.create(name="空调", code="aircon")
    team = Team.objects.create(name="北京售后服务一组（朝阳、海淀、东城）")
    tech = Technician.objects.create(user=personas.technician)
    tech.skills.set([skill])
    tech.regions.set([region])
    customer = customer_factory(name="王芳", phone="13572634817", region=region, address="朝阳区建国路 88 号")
    tickets = []
    for i, (subject, prio, ago) in enumerate([("空调不制冷", 0, 30), ("热水器漏水", 2, 2), ("Printer jams", 3, 60 * 30)]):
        tickets.append(ticket_create(customer=customer, kind="repair", subject=subject, priority=prio,
                                     description="客户说：开机十分钟后停止制冷，外机有异响。", created_by=personas.frontdesk,
                                     assignee=personas.agent, now=now - timedelta(minutes=ago)))
    start = now + timedelta(hours=3)
    wo = dispatch_services.workorder_create(ticket=tickets[0], created_by=personas.agent, skill=skill,
                                            estimated_value=Decimal("800"), window_start=start,
                                            window_end=start + timedelta(hours=2), now=now)
    dispatch_services.workorder_auto_dispatch(work_order=wo, now=now)
    for tier, overall in (("diamond", 5), ("gold", 4), ("silver", 2), ("basic", 3)):
        inv = SurveyInvitation.objects.create(customer=customer, nonce=secrets.token_hex(16), created_at=now,
                                              expires_at=now + timedelta(days=14), used_at=now)
        SurveyResponse.objects.create(invitation=inv, customer=customer, overall=overall, recommend=8, responsiveness=4,
                                      reliability=4, assurance=3, empathy=5, tangibles=2, submitted_at=now,
                                      month=timezone.localdate(now).replace(day=1), tier=tier, ticket_kind="repair",
                                      channel="phone", comment="很好")
    satisfaction_rollup_rebuild()
    invitation = SurveyInvitation.objects.create(customer=customer, nonce=secrets.token_hex(16), created_at=now,
                                                 expires_at=now + timedelta(days=14))
    return {"wo": wo, "ticket": tickets[0], "invitation": invitation, "team": team}


def _pages(data):
    from followups.services import survey_token

    return [
        ("agent", "queue", "/tickets/queue/"),
        ("agent", "ticket-list", "/tickets/?sort=due"),
        ("agent", "ticket-detail", f"/tickets/{data['ticket'].pk}/"),
        ("technician", "job", f"/dispatch/wo/{data['wo'].pk}/"),
        ("supervisor", "job-supervisor", f"/dispatch/wo/{data['wo'].pk}/"),
        ("supervisor", "sla-dashboard", "/sla/"),
        ("manager", "sla-dashboard-manager", f"/sla/?team={data['team'].pk}"),
        ("supervisor", "sla-dashboard-bad-dates", "/sla/?start=bad&end=bad"),
        ("manager", "satisfaction", "/followups/satisfaction/"),
        ("supervisor", "complaints", "/tickets/complaints/"),
        ("manager", "customer-export", "/customers/export/"),
        ("manager", "reports-empty", "/reports/?period=month&date=2030-01-01"),
        (None, "faq-no-results", "/kb/faq/?q=zzzznothing"),
        (None, "survey", f"/followups/s/{survey_token(data['invitation'])}/"),
    ]


def _squeezed(page, selector):
    """Selects narrower than the option they show (text + padding): the text is cut off."""
    return page.evaluate(
        """(sel) => Array.from(document.querySelectorAll(sel)).filter(e => {
             const cs = getComputedStyle(e);
             const ctx = document.createElement('canvas').getContext('2d');
             ctx.font = cs.font;
             const text = e.options[e.selectedIndex] ? e.options[e.selectedIndex].text : '';
             const need = ctx.measureText(text).width + parseFloat(cs.paddingLeft) + parseFloat(cs.paddingRight);
             return e.clientWidth + 1 < need;
           }).map(e => e.name)""", selector)


def _clipped(page, selector):
    """Elements matching `selector` whose content is wider than their box (scrolled or cut off)."""
    return page.evaluate(
        """(sel) => Array.from(document.querySelectorAll(sel))
             .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
             .map(e => (e.id || e.name || e.className) + ' ' + e.scrollWidth + '>' + e.clientWidth)""", selector)


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_changed_pages_at_desktop_and_phone(live_server, browser, personas, data, lang):
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    for size in SIZES:
        for role, name, path in _pages(data):
            user = personas.by_role(role) if role else None
            context = _context(browser, live_server, user, lang, size)
            page = context.new_page()
            try:
                response = page.goto(base + path)
                assert response.status < 400, (name, response.status)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(SHOTS / f"{name}-{lang}-{size}.png"), full_page=True)
                if size == "1366" and name == "satisfaction":
                    assert _clipped(page, "#segment-table .table-responsive") == []
                if size == "1366" and name.startswith("sla-dashboard"):
                    assert _clipped(page, "#sla-filters select, #sla-filters input") == []
                    assert _squeezed(page, "#sla-filters select") == []
                    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
                if size == "360":  # nothing pushes the page sideways on a phone
                    assert page.evaluate("document.documentElement.scrollWidth") <= 360 + 1, name
            finally:
                context.close()
