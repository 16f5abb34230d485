"""A customer on a phone (360×740) fills the survey in Chinese; screenshots of the staff pages."""
import os

import pytest
from django.conf import settings as django_settings
from django.test import Client

from followups import services
from followups.models import Callback, SurveyResponse

from .fu_helpers import at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("SHOTS_DIR", "/tmp/shots/followups")


def _shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def _login(page, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie.value,
                               "url": live_server.url}])


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def test_customer_fills_the_survey_in_chinese_on_a_phone(phone, live_server, make_ticket, customer_factory, personas):
    # given a resolved repair for a customer who prefers Chinese, and a supervisor on duty
    personas.supervisor
    customer = customer_factory(name="王芳", preferred_language="zh-hans")
    ticket = make_ticket(customer=customer, resolve_at=at(2026, 11, 20, 15), subject="空调不制冷")
    invitation = ticket.survey_invitations.get()
    from django.utils import timezone
    from datetime import timedelta

    type(invitation).objects.filter(pk=invitation.pk).update(expires_at=timezone.now() + timedelta(days=14))
    page = phone
    # when the customer opens the link from the SMS
    page.goto(live_server.url + f"/followups/s/{services.survey_token(invitation)}/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_text("您对本次服务的总体满意度如何？").is_visible()
    assert ticket.number in page.content()
    # the page fits the phone: no horizontal scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    _shot(page, "survey-phone-zh.png")
    # and taps through (big targets: each answer is a button at least 44 px tall)
    box = page.locator("label[for='id_overall_1']").bounding_box()
    assert box["height"] >= 44
    page.locator("label[for='id_overall_1']").tap()  # 2 分 (second choice)
    for name in ("reliability", "responsiveness", "assurance", "empathy", "tangibles"):
        page.locator(f"label[for='id_{name}_2']").tap()  # 3 分
    page.locator("label[for='id_recommend_5']").tap()  # 5
    page.locator("textarea[name=comment]").fill("师傅来晚了两个小时")
    _shot(page, "survey-phone-zh-filled.png")
    page.get_by_role("button", name="提交").tap()
    # then the thank-you page, in Chinese
    page.get_by_text("谢谢您！").wait_for()
    _shot(page, "survey-phone-zh-thanks.png")
    response = SurveyResponse.objects.get()
    assert (response.overall, response.reliability, response.recommend) == (2, 3, 5)
    assert response.comment == "师傅来晚了两个小时"
    # the low score reached the supervisor at once
    follow_up = Callback.objects.get(reason="survey_low_score")
    assert follow_up.owner == personas.supervisor and "师傅来晚了两个小时" in follow_up.notes
    # opening the link again shows the friendly "already answered" page
    page.goto(live_server.url + f"/followups/s/{services.survey_token(invitation)}/")
    assert page.get_by_text("您已提交过评价").is_visible()


def test_staff_pages_screenshots(browser, live_server, make_ticket, customer_factory, personas):
    """Desktop and phone screenshots of the queue and the dashboard (looked at by a person)."""
    from django.utils import timezone
    from datetime import timedelta

    now = timezone.now()
    for i, name in enumerate(["李伟", "张敏", "Beijing Huaxin Trading", "陈静"]):
        make_ticket(customer=customer_factory(name=name), resolve_at=now - timedelta(days=4 - i), subject="空调维修")
    cb = Callback.objects.order_by("pk").first()
    Callback.objects.filter(pk=cb.pk).update(due_at=now - timedelta(hours=3))
    for inv in type(cb.ticket.survey_invitations.get()).objects.all():
        services.survey_submit(invitation=inv, answers={"overall": 4, "reliability": 5, "responsiveness": 4,
                                                        "assurance": 5, "empathy": 4, "tangibles": 4, "recommend": 9,
                                                        "comment": "师傅很专业"}, now=now)
    for lang, suffix in (("zh-hans", "zh"), ("en", "en")):
        for width, kind in ((1280, "desktop"), (360, "phone")):
            context = browser.new_context(viewport={"width": width, "height": 800})
            page = context.new_page()
            context.add_cookies([{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": lang, "url": live_server.url}])
            _login(page, live_server, personas.agent)
            page.goto(live_server.url + "/followups/callbacks/")
            _shot(page, f"queue-{kind}-{suffix}.png")
            page.goto(live_server.url + f"/followups/callbacks/{cb.pk}/")
            _shot(page, f"callback-{kind}-{suffix}.png")
            _login(page, live_server, personas.supervisor)
            page.goto(live_server.url + "/followups/satisfaction/")
            page.wait_for_timeout(300)
            _shot(page, f"satisfaction-{kind}-{suffix}.png")
            assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
            context.close()
