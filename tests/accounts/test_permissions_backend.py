"""The permission backend reads a person's permissions and group names in one query (issue 14), with
the same answers Django's ModelBackend gives; the layout's menus are kept per reader and change the
moment what they depend on changes."""
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from servicedesk.roles import AGENT, SUPERVISOR, user_roles

pytestmark = pytest.mark.django_db


def _fresh(user):
    return get_user_model().objects.get(pk=user.pk)


@pytest.mark.parametrize("role", ["frontdesk", "agent", "supervisor", "technician", "manager", "outsider"])
def test_permissions_and_roles_in_one_query_same_as_django(role, personas):
    user = _fresh(getattr(personas, role))
    user.user_permissions.add(Permission.objects.get(codename="view_article"))  # own and group permissions
    user = _fresh(user)
    with CaptureQueriesContext(connection) as ctx:
        roles = user_roles(user)
        perms = user.get_all_permissions()
        assert user.has_perm("knowledge.view_article")
    assert len(ctx.captured_queries) == 1
    assert perms == ModelBackend().get_all_permissions(_fresh(user))
    expected = [] if role == "outsider" else [role]
    assert roles == expected
    assert not any(p.startswith("#") for p in perms)


def test_superuser_has_every_permission_and_their_groups(personas):
    user = _fresh(personas.agent)
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    user = _fresh(user)
    with CaptureQueriesContext(connection) as ctx:
        roles = user_roles(user)
        perms = user.get_all_permissions()
    assert len(ctx.captured_queries) == 1
    assert roles[:2] == ["manager", AGENT]
    assert len(perms) == Permission.objects.count()


def test_inactive_user_has_no_permissions_but_keeps_their_role(personas):
    user = _fresh(personas.supervisor)
    user.is_active = False
    assert user.get_all_permissions() == set()
    assert user_roles(user) == [SUPERVISOR]


def _menu(client):
    """The menu bar, without the CSRF tokens (masked afresh on every response)."""
    import re

    html = client.get(reverse("tickets:list")).content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html[html.index('id="mainnav"'):html.index("<main")])


def test_menus_follow_a_new_permission_a_new_name_and_the_language(client_for, personas):
    # given an agent whose menus were rendered once (and kept)
    client = client_for("agent")
    first = _menu(client)
    assert _menu(client) == first
    assert reverse("reports:index") not in first
    # when a manager grants them the reports, their next page's menu links them
    personas.agent.user_permissions.add(Permission.objects.get(codename="view_reports"))
    assert reverse("reports:index") in _menu(client)
    # a new name shows at once
    get_user_model().objects.filter(pk=personas.agent.pk).update(first_name="Xiaoming", last_name="Li")
    assert "Xiaoming" in _menu(client)
    # and the other language gets its own menu
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    zh = _menu(client)
    assert "我的待办" in zh and "My work queue" not in zh


def test_menu_is_the_same_kept_or_rendered_fresh(client_for):
    from servicedesk.templatetags import layout_tags

    client = client_for("supervisor")
    kept = (_menu(client), _menu(client))
    layout_tags._memo.clear()
    assert kept[0] == kept[1] == _menu(client)


def test_two_people_with_the_same_role_share_nothing_personal(client_for, personas):
    group = Group.objects.get(name="agent")
    other = get_user_model().objects.create_user("agent-b", first_name="Fang", last_name="Wang")
    other.groups.add(group)
    a = _menu(client_for("agent"))
    from django.test import Client

    c = Client()
    c.force_login(other)
    b = _menu(c)
    assert "Fang" in b and "Fang" not in a


def test_the_compiled_query_matches_the_orm_for_every_user(personas):
    """The SQL is compiled once with a stand-in id: each user still gets exactly their own rows."""
    from accounts.backends import _union

    users = [_fresh(getattr(personas, r)) for r in ("agent", "technician", "manager", "outsider")]
    users[0].user_permissions.add(Permission.objects.get(codename="view_reports"))
    for user in users:
        user = _fresh(user)
        expected = {f"{ct}.{name}" for ct, name in _union(user.pk, False) if ct != "#group"}
        assert user.get_all_permissions() == expected
    assert "reports.view_reports" in _fresh(users[0]).get_all_permissions()
    assert "reports.view_reports" not in _fresh(users[1]).get_all_permissions()
