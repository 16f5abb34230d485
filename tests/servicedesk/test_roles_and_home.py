import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from servicedesk import roles

pytestmark = pytest.mark.django_db


def test_every_role_is_a_group_with_its_permissions():
    # given / when: migrations ran (post_migrate syncs the roles)
    # then
    for role, perm_names in roles.ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert granted == set(perm_names), role


def test_sync_roles_is_idempotent():
    roles.sync_roles()
    roles.sync_roles()
    assert Group.objects.filter(name__in=roles.ROLE_ORDER).count() == len(roles.ROLE_ORDER)


def test_anonymous_home_redirects_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_front_desk_lands_on_the_desk(client_for):
    response = client_for("frontdesk").get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:desk")


def test_user_without_role_sees_an_explanation(client_for):
    response = client_for("outsider").get(reverse("home"))
    assert response.status_code == 200
    assert "no role yet" in response.content.decode()


def test_technician_cannot_open_the_front_desk(client_for):
    response = client_for("technician").get(reverse("customers:desk"))
    assert response.status_code == 403


def test_language_switch_to_chinese(client_for):
    client = client_for("frontdesk")
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    response = client.get(reverse("customers:desk"))
    assert 'lang="zh-hans"' in response.content.decode()
