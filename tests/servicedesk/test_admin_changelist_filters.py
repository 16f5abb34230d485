"""The admin's lists answer an impossible filter with their own "invalid filter" page, never a 500
(issue 13 item 5): every registered model admin, as a superuser, with the date drill-down past year
9999, every date/time field from 0001-01-01 and to 9999-12-31 (out of range once shifted to UTC), and
every foreign key at a 22-digit id (past what SQLite can bind)."""
import pytest
from django.contrib import admin
from django.db import models
from django.urls import reverse

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime")]
HUGE = 10**21


def _hostile_queries(model_admin):
    opts = model_admin.model._meta
    if model_admin.date_hierarchy:
        yield f"{model_admin.date_hierarchy}__year={HUGE}"
        yield f"{model_admin.date_hierarchy}__year=2026&{model_admin.date_hierarchy}__month={HUGE}"
    for f in opts.concrete_fields:
        if isinstance(f, (models.DateTimeField, models.DateField)):
            yield f"{f.name}__gte=0001-01-01"
            yield f"{f.name}__lt=9999-12-31"
        elif isinstance(f, models.ForeignKey):
            yield f"{f.name}__id__exact={HUGE}"
            yield f"{f.name}__in={HUGE},1"
        elif isinstance(f, (models.IntegerField, models.AutoField)):
            yield f"{f.name}={HUGE}"


def _admins():
    return sorted(admin.site._registry.values(), key=lambda a: a.model._meta.label)


@pytest.fixture
def root(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "pw"))
    return client


def test_every_model_admin_list_turns_impossible_filters_into_its_invalid_filter_page(root):
    failures, tried = [], 0
    for model_admin in _admins():
        opts = model_admin.model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        for query in _hostile_queries(model_admin):
            response = root.get(f"{url}?{query}")
            tried += 1
            if response.status_code >= 500:
                failures.append((url, query, response.status_code))
            elif response.status_code == 302:
                # the admin's own answer to a filter it cannot apply
                assert response["Location"].endswith("?e=1"), (url, query, response["Location"])
    assert tried > 100, "the walk lost the admin's models"
    assert not failures, failures


def test_the_drill_down_past_year_9999_is_an_invalid_filter_not_a_crash(root):
    from customers.admin import ContactAdmin  # noqa: F401 — the contacts list drills down by start time
    from customers.models import Contact

    model_admin = admin.site._registry[Contact]
    assert model_admin.date_hierarchy, "the contacts list has a date drill-down"
    url = reverse("admin:customers_contact_changelist")
    response = root.get(f"{url}?{model_admin.date_hierarchy}__year={HUGE}")
    assert response.status_code == 302 and response["Location"] == f"{url}?e=1"
    assert root.get(response["Location"]).status_code == 200


def test_every_model_admin_object_page_answers_a_22_digit_id_as_no_such_object(root):
    failures = []
    for model_admin in _admins():
        opts = model_admin.model._meta
        for view in ("change", "history", "delete"):
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[str(HUGE)])
            response = root.get(url)
            if response.status_code >= 500:
                failures.append((url, response.status_code))
    assert not failures, failures


def test_the_admin_never_shows_an_authenticator_secret(root, personas):
    """Only the person enrolling sees their second factor's secret: the admin's QR pages refuse."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=personas.manager, name="phone", confirmed=True)
    for name in ("config", "qrcode"):
        for pk in (device.pk, HUGE):
            assert root.get(reverse(f"admin:otp_totp_totpdevice_{name}", kwargs={"pk": pk})).status_code == 403
