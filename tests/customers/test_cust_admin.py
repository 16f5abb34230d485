import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from customers.models import Asset, Contact, Customer, CustomerEvent, CustomerExport, CustomerPhone, Region
from customers.services import asset_create, contact_log, customer_export_record
from servicedesk.models import Notification, StaffProfile, Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_with_data(client, customer_factory, personas, region):
    c = customer_factory(name="Admin View", region=region)
    asset_create(customer=c, created_by=personas.frontdesk, product="Printer")
    contact_log(handled_by=personas.frontdesk, channel="phone", customer=c)
    customer_export_record(exported_by=personas.supervisor, filters={}, row_count=1)
    team = Team.objects.create(name="Repairs", supervisor=personas.supervisor)
    StaffProfile.objects.create(user=personas.agent, team=team, phone="13800000000")
    Notification.objects.create(recipient=personas.agent, message="hello")
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    return client


MODELS = [Region, Customer, CustomerPhone, Asset, Contact, CustomerEvent, CustomerExport, Team, StaffProfile, Notification, get_user_model()]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_admin_changelist_search_and_change_page(admin_client_with_data, model):
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert admin_client_with_data.get(changelist).status_code == 200
    assert admin_client_with_data.get(changelist, {"q": "a"}).status_code == 200
    obj = model.objects.first()
    change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    assert admin_client_with_data.get(change).status_code == 200


def test_audit_trails_are_read_only_in_admin(admin_client_with_data):
    event = CustomerEvent.objects.first()
    url = reverse("admin:customers_customerevent_change", args=[event.pk])
    body = admin_client_with_data.get(url).content.decode()
    assert 'name="kind"' not in body  # shown, not editable
    assert admin_client_with_data.get(reverse("admin:customers_customerevent_add")).status_code == 403
    assert admin_client_with_data.post(reverse("admin:customers_customerevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert CustomerEvent.objects.filter(pk=event.pk).exists()


def test_first_contact_fields_are_read_only_on_customer_admin(admin_client_with_data):
    c = Customer.objects.get(name="Admin View")
    body = admin_client_with_data.get(reverse("admin:customers_customer_change", args=[c.pk])).content.decode()
    assert 'name="first_contact_by"' not in body and 'name="first_contact_at_0"' not in body
    assert 'name="name"' in body


def test_user_admin_edits_the_staff_profile_inline(admin_client_with_data, personas):
    body = admin_client_with_data.get(reverse("admin:auth_user_change", args=[personas.agent.pk])).content.decode()
    assert 'name="profile-0-team"' in body and "13800000000" in body
