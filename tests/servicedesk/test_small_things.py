"""Issue 11 item 11: the small things a person trips on — one test each."""
import secrets
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


# --- /favicon.ico ----------------------------------------------------------------------------------
def test_favicon_exists(client):
    from django.contrib.staticfiles import finders

    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.ico")
    path = finders.find("favicon.ico")
    assert path and open(path, "rb").read(4) == b"\x00\x00\x01\x00"  # a real ICO file
    assert b'rel="icon"' in client.get(reverse("login")).content


# --- public pages: public name and the hotline -----------------------------------------------------
def test_faq_without_results_gives_the_hotline_and_public_name(client, settings):
    settings.SERVICE_PHONE = "+864001234567"
    settings.SERVICE_PUBLIC_NAME = "华信售后服务"
    body = client.get(reverse("knowledge:faq") + "?q=zzzznothing").content.decode()
    assert "400 123 4567" in body and "No answer found" in body
    assert "华信售后服务" in body and "ServiceDesk" not in body


def test_faq_public_name_defaults_to_words_in_the_visitors_language(client, settings):
    settings.SERVICE_PUBLIC_NAME = ""
    body = client.get(reverse("knowledge:faq"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "客户服务" in body and "ServiceDesk" not in body


def test_survey_page_uses_the_public_name(client, settings, customer_factory):
    from followups import services
    from followups.models import SurveyInvitation

    settings.SERVICE_PUBLIC_NAME = "华信售后服务"
    now = timezone.now()
    invitation = SurveyInvitation.objects.create(customer=customer_factory(), nonce=secrets.token_hex(16),
                                                 created_at=now, expires_at=now + timedelta(days=14))
    body = client.get(reverse("followups:survey", args=[services.survey_token(invitation)]) + "?lang=en").content.decode()
    assert "华信售后服务" in body and "ServiceDesk" not in body


# --- one phone format ------------------------------------------------------------------------------
@pytest.mark.parametrize("stored, shown", [
    ("+8613572634817", "135 7263 4817"),
    ("+861012345678", "010 1234 5678"),
    ("+14155552671", "+1 415-555-2671"),
    ("not a number", "not a number"),
])
def test_phone_display(stored, shown):
    from customers.phones import phone_display
    from customers.templatetags.customers_tags import phone_display as phone_filter

    assert phone_display(stored) == shown == phone_filter(stored)


# --- one message per field -------------------------------------------------------------------------
def test_sla_dashboard_gives_one_message_per_bad_date(client_for):
    body = client_for("supervisor").get(reverse("sla:dashboard") + "?start=bad&end=bad").content.decode()
    assert "Enter a valid date.Enter a valid date." not in body
    assert "<li>From: Enter a valid date.</li>" in body and "<li>To: Enter a valid date.</li>" in body


# --- no empty chart next to "Nothing in this period." ---------------------------------------------
def test_report_draws_no_empty_chart(client_for):
    body = client_for("manager").get(reverse("reports:index") + "?period=month&date=2030-01-01").content.decode()
    assert "Nothing in this period." in body
    assert "data-chart=" not in body  # no canvas without data


def test_report_draws_a_chart_with_data(client_for, customer_factory, personas):
    from tickets.services import ticket_create

    ticket_create(customer=customer_factory(), kind="repair", subject="Boiler", created_by=personas.frontdesk)
    body = client_for("manager").get(reverse("reports:index")).content.decode()
    assert 'data-chart="chart-tickets_kind"' in body and 'data-chart="chart-contacts_hour"' not in body


def test_charts_keep_a_zero_rate_but_drop_all_zero_counts():
    from reports.charts import _bar, _has_data

    assert _has_data("sla_targets", _bar(["First response"], [("Compliance (%)", [0])]))
    assert not _has_data("sla_targets", _bar(["First response"], [("Compliance (%)", [None])]))
    assert not _has_data("contacts_hour", _bar(["00"], [("Contacts", [0, 0])]))
