"""Each 500 issue 13 listed, reproduced and answered properly; the shared parser; 400/413 pages; admin."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from servicedesk import params

pytestmark = pytest.mark.django_db

HUGE = "1000000000000000000000"


@pytest.fixture(autouse=True)
def _production_errors(settings):
    settings.DEBUG = False


def _client(personas, role):
    client = Client(raise_request_exception=False)
    client.force_login(personas.by_role(role))
    return client


# --- the shared parser -------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, expected", [
    ("42", 42), (" 7 ", 7), ("9223372036854775807", 2**63 - 1), ("9223372036854775808", None), (HUGE, None),
    ("１２", None), ("²", None), ("-1", None), ("0", None), ("", None), (None, None), ("1e3", None),
])
def test_id_param_accepts_only_ascii_ids_in_64_bits(raw, expected):
    assert params.id_param(raw) == expected


@pytest.mark.parametrize("raw, expected", [("2026", 2026), ("0", None), (str(10**30), None), ("1999", None),
                                           ("2100", 2100), ("２０２６", None)])
def test_year_param_stays_in_the_calendars_range(raw, expected):
    assert params.year_param(raw) == expected


@pytest.mark.parametrize("field", [params.DateField(), params.DateTimeField()])
@pytest.mark.parametrize("raw", ["9999-12-31", "0001-01-01", "1999-12-31", "2101-01-01", "0001-01-01T00:00",
                                 "9999-12-31T23:59"])
def test_date_fields_refuse_dates_outside_2000_2100_with_a_clear_message(field, raw):
    form_field = field
    with pytest.raises(Exception) as error:
        form_field.clean(raw)
    assert "2000-01-01" in str(error.value) or "valid" in str(error.value)


def test_date_fields_accept_the_window():
    assert params.DateField().clean("2100-12-31") == date(2100, 12, 31)
    assert params.DateTimeField().clean("2000-01-01T00:00").year == 2000


# --- the listed 500s, one by one ---------------------------------------------------------------------
@pytest.mark.parametrize("query", ["created_to=9999-12-31", "created_from=0001-01-01"])
def test_ticket_list_with_out_of_range_dates_shows_the_list_with_a_message(query, personas):
    response = _client(personas, "agent").get(f"{reverse('tickets:list')}?{query}")
    assert response.status_code == 200
    assert "Enter a date between 2000-01-01 and 2100-12-31." in response.content.decode()


def test_ticket_list_message_is_in_chinese_too(personas):
    client = _client(personas, "agent")
    response = client.get(f"{reverse('tickets:list')}?created_to=9999-12-31", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert "请输入 2000-01-01 至 2100-12-31 之间的日期。" in response.content.decode()


@pytest.mark.parametrize("url", [
    "/reports/?period=month&date=9999-12-31",
    "/reports/print/?period=month&date=9999-12-31",
    "/sla/?start=0001-01-01&end=0001-01-01",
    "/sla/clocks/?start=0001-01-01&end=0001-01-01",
    f"/sla/clocks/?agent={HUGE}",
    f"/reports/faults/?cause={HUGE}",
])
def test_manager_pages_answer_bad_parameters_without_500(url, personas):
    response = _client(personas, "manager").get(url)
    assert response.status_code in (200, 404), url


@pytest.mark.parametrize("year", ["0", str(10**30), "２０２６", "²"])
def test_calendar_page_with_an_impossible_year_says_so(year, personas):
    from sla.models import BusinessCalendar

    calendar = BusinessCalendar.objects.order_by("pk").first()
    response = _client(personas, "manager").get(reverse("sla:calendar", args=[calendar.pk]), {"year": year})
    assert response.status_code == 200
    assert "Choose a year between 2000 and 2100." in response.content.decode()


def test_contact_started_in_year_one_is_a_form_error(personas):
    response = _client(personas, "frontdesk").post(reverse("customers:contact_create"), {
        "channel": "phone", "direction": "inbound", "purpose": "inquiry", "started_at": "0001-01-01T00:00"})
    assert response.status_code in (200, 400)
    assert "Enter a date between 2000-01-01 and 2100-12-31." in response.content.decode()


def test_work_order_window_in_year_one_is_a_form_error(personas, customer_factory):
    from dispatch.models import Skill
    from tickets.services import ticket_create

    ticket = ticket_create(customer=customer_factory(), kind="repair", subject="Leak", created_by=personas.agent)
    skill = Skill.objects.create(name="Plumbing", code="plumbing")
    response = _client(personas, "supervisor").post(reverse("dispatch:workorder_create", args=[ticket.pk]), {
        "skill": skill.pk, "estimated_value": "100", "window_start": "0001-01-01T00:00",
        "window_end": "0001-01-01T02:00"})
    assert response.status_code == 400
    assert "Enter a date between 2000-01-01 and 2100-12-31." in response.content.decode()


@pytest.mark.parametrize("url_name, role", [("knowledge:faq", None), ("knowledge:list", "agent")])
def test_search_with_a_dotted_capital_i_in_a_published_title(url_name, role, personas):
    # given a published public article whose title lower-cases to a longer string
    from knowledge.services import ArticleInput, article_create, article_publish

    article = article_create(data=ArticleInput(title="İstanbul printer jam", body="Open the tray.",
                                               visibility="public"), author=personas.agent)
    article_publish(article=article, actor=personas.agent)
    client = Client(raise_request_exception=False) if role is None else _client(personas, role)
    # when
    response = client.get(reverse(url_name), {"q": "printer"})
    # then
    assert response.status_code == 200
    assert "İstanbul <mark>printer</mark> jam" in response.content.decode()


# --- NUL bytes, bodies over the limit -----------------------------------------------------------------
def test_a_nul_byte_in_a_query_parameter_is_a_400_page(personas):
    response = _client(personas, "frontdesk").get(reverse("customers:search"), {"q": "a\x00b"})
    assert response.status_code == 400
    assert "This request could not be understood." in response.content.decode()


def test_a_nul_byte_in_a_posted_field_is_a_400(personas, customer_factory):
    wo_client = _client(personas, "frontdesk")
    response = wo_client.post(reverse("customers:contact_create"), {"notes": "x\x00"})
    assert response.status_code == 400


@pytest.mark.parametrize("language, text", [
    ("en", "A form may send at most 1.0\xa0KB of text"),
    ("zh-hans", "一个表单最多可提交 1.0\xa0KB 的文字内容"),
])
def test_a_body_over_the_limit_gets_a_friendly_413_that_states_the_limit(language, text, personas, settings):
    # given
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    client = _client(personas, "agent")
    # when
    response = client.post(reverse("notifications_mark_read"), {"notes": "x" * 5000},
                           HTTP_ACCEPT_LANGUAGE=language)
    # then
    assert response.status_code == 413
    assert text in response.content.decode()


# --- admin -----------------------------------------------------------------------------------------------
def _superuser_client():
    from django.contrib.auth import get_user_model

    client = Client(raise_request_exception=False)
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw"))
    return client


def test_the_attachment_admin_offers_no_add_page():
    response = _superuser_client().post(reverse("admin:tickets_ticketattachment_add"), {})
    assert response.status_code == 403


def test_no_admin_offers_an_add_page_it_cannot_save():
    """An admin whose add form cannot fill a required field (all read-only) must not offer adding."""
    from django.contrib.auth import get_user_model

    request = RequestFactory().get("/")
    request.user = get_user_model()(is_superuser=True, is_staff=True, is_active=True)
    broken = []
    for model, model_admin in admin.site._registry.items():
        if not model_admin.has_add_permission(request):
            continue
        readonly = set(model_admin.get_readonly_fields(request))
        required = [f.name for f in model._meta.concrete_fields
                    if f.editable and not f.blank and not f.has_default() and f.name in readonly]
        editable = {f.name for f in model._meta.concrete_fields if f.editable and not f.auto_created}
        if required or (editable and editable <= readonly):
            broken.append(model._meta.label)
    assert not broken


def test_every_admin_add_page_saves_or_explains_with_empty_and_hostile_values():
    client = _superuser_client()
    for model, model_admin in admin.site._registry.items():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
        for value in ("", "0001-01-01", HUGE, "İ 😀"):
            response = client.get(url)
            if response.status_code != 200:
                break
            fields = [name for name in response.context["adminform"].form.fields]
            response = client.post(url, {name: value for name in fields})
            assert response.status_code < 500, (url, value)
