"""Managers edit the public pages and the customer messages (issue 15 items 1, 4 and 6)."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.models import MessageTemplate, PortalSettings

pytestmark = pytest.mark.django_db

PAGES = [("portal:settings", []), ("portal:templates", []), ("portal:template_edit", ["ack"]),
         ("portal:template_edit_kind", ["resolved", "repair"])]


@pytest.mark.parametrize("role,allowed", [("manager", True), ("supervisor", False), ("agent", False),
                                          ("frontdesk", False), ("technician", False), (None, False)])
@pytest.mark.parametrize("name,args", PAGES)
def test_only_managers(client_for, role, allowed, name, args):
    response = client_for(role).get(reverse(name, args=args))
    if allowed:
        assert response.status_code == 200
    elif role is None:
        assert response.status_code == 302 and "/login/" in response["Location"]
    else:
        assert response.status_code == 403


def test_edit_shows_variables_preview_and_sms_parts(client_for):
    page = client_for("manager").get(reverse("portal:template_edit", args=["ack"])).content.decode()
    assert "{promised}" in page and "{link}" in page and "{technician}" not in page
    assert 'data-segments="2"' in page  # the default Chinese acknowledgement with its link is two SMS


def test_htmx_preview_counts_parts_while_typing(client_for):
    response = client_for("manager").post(reverse("portal:template_edit", args=["waiting"]),
                                          {"do": "preview", "text_zh": "短信{number}", "text_en": "x" * 161,
                                           "enabled": "on"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert "短信SR-2026-000123" in body
    assert 'data-segments="1"' in body and 'data-segments="2"' in body  # 161 GSM characters: two parts


def test_unknown_variable_is_refused_with_the_allowed_list(client_for):
    response = client_for("manager").post(reverse("portal:template_edit", args=["waiting"]),
                                          {"do": "save", "text_zh": "请看{technican}", "text_en": "See {link}",
                                           "enabled": "on"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "{technican}" in body and "{link}" in body
    assert not MessageTemplate.objects.exists()


def test_broken_brace_is_refused(client_for):
    response = client_for("manager").post(reverse("portal:template_edit", args=["waiting"]),
                                          {"do": "save", "text_zh": "请看{link", "text_en": "See {link}"})
    assert response.status_code == 400 and not MessageTemplate.objects.exists()


def test_save_per_kind_then_back_to_default(client_for, personas):
    client = client_for("manager")
    url = reverse("portal:template_edit_kind", args=["resolved", "repair"])
    response = client.post(url, {"do": "save", "text_zh": "{number}修好了", "text_en": "{number} fixed"})
    assert response.status_code == 302
    row = MessageTemplate.objects.get(event="resolved", kind="repair")
    assert row.enabled is False  # the box was not ticked: switched off for repairs
    assert row.updated_by == personas.manager
    client.post(url, {"do": "reset"})
    assert not MessageTemplate.objects.exists()


def test_acknowledgement_cannot_be_switched_off_in_the_form(client_for):
    client_for("manager").post(reverse("portal:template_edit", args=["ack"]),
                               {"do": "save", "text_zh": "收到{number}", "text_en": "Got {number}"})
    assert MessageTemplate.objects.get(event="ack").enabled is True


def test_settings_name_hotline_and_logo_show_on_public_pages(client_for, client):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    response = client_for("manager").post(reverse("portal:settings"), {
        "public_name": "华信售后服务", "public_name_en": "Huaxin Service", "hotline": "400-800-1234",
        "logo": SimpleUploadedFile("logo.png", png, "image/png"), "link_valid_days": 30,
        "quiet_start": "21:00", "quiet_end": "08:00", "requests_per_ip_hour": 5, "requests_per_mobile_day": 5})
    assert response.status_code == 302, response.content.decode()[:2000]
    client.logout()
    page = client.get(reverse("portal:status", args=["nothing-here"])).content.decode()
    assert "华信售后服务" in page and "400-800-1234" in page and "portal/logo" in page
    assert "Huaxin Service" in client.get(reverse("portal:status", args=["x-y"]) + "?lang=en").content.decode()


def test_a_logo_that_is_not_a_picture_is_refused(client_for):
    response = client_for("manager").post(reverse("portal:settings"), {
        "public_name": "x", "logo": SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>", "image/png"),
        "link_valid_days": 30, "quiet_start": "21:00", "quiet_end": "08:00", "requests_per_ip_hour": 5,
        "requests_per_mobile_day": 5})
    assert response.status_code == 400
    assert not PortalSettings.objects.get(pk=1).logo
