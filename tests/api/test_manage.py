"""Managers' token pages: who may open them, create shows the secret once, revoke, the call log's pages."""
import pytest
from django.urls import reverse

from api.models import ApiCallLog, ApiToken
from api.selectors import token_for_secret

pytestmark = pytest.mark.django_db

ROLES = [("manager", True), ("supervisor", False), ("agent", False), ("frontdesk", False), ("technician", False),
         ("outsider", False), (None, False)]


@pytest.mark.parametrize("role,allowed", ROLES)
def test_only_managers_manage_tokens(client_for, make_token, role, allowed):
    token = make_token().token
    client = client_for(role)
    for method, name, args, ok in [("get", "api:tokens", [], 200), ("get", "api:token_create", [], 200),
                                   ("get", "api:token_detail", [token.pk], 200),
                                   ("post", "api:token_revoke", [token.pk], 302)]:
        response = getattr(client, method)(reverse(name, args=args))
        if allowed:
            assert response.status_code == ok, name
        elif role is None:
            assert response.status_code == 302 and "/login/" in response["Location"], name
        else:
            assert response.status_code == 403, (role, name)
    token.refresh_from_db()
    assert (token.revoked_at is not None) == allowed


def test_create_shows_the_secret_once_and_it_works(client_for, personas):
    client = client_for("manager")
    # when
    response = client.post(reverse("api:token_create"), {"name": "Phone exchange", "scopes": ["calls:write",
                                                         "customers:read"], "rate_limit_per_minute": 60})
    # then the page shows the secret, which authenticates, and the list never shows it again
    assert response.status_code == 200
    page = response.content.decode()
    token = ApiToken.objects.get()
    secret = page.split('data-secret')[0].rsplit('value="', 1)[1].split('"')[0]
    assert token_for_secret(secret) == token
    assert token.scopes == ["customers:read", "calls:write"] and token.rate_limit_per_minute == 60
    assert token.created_by == personas.manager
    assert secret not in client.get(reverse("api:tokens")).content.decode()
    assert secret not in client.get(reverse("api:token_detail", args=[token.pk])).content.decode()


def test_create_form_errors(client_for):
    response = client_for("manager").post(reverse("api:token_create"), {"name": " ", "scopes": ["root"],
                                                                        "rate_limit_per_minute": 0})
    assert response.status_code == 400 and not ApiToken.objects.exists()


def test_revoked_token_gets_401(client_for, api):
    assert api.get("/api/v1/tickets/").status_code == 200
    client_for("manager").post(reverse("api:token_revoke", args=[api.token.pk]))
    assert api.get("/api/v1/tickets/").status_code == 401


def test_call_log_pages_newest_first(client_for, api, django_assert_max_num_queries):
    # given 120 calls
    ApiCallLog.objects.bulk_create([
        ApiCallLog(token=api.token, method="GET", path=f"/api/v1/tickets/{i}/", status_code=200,
                   at=api.token.created_at, duration_ms=3, client_ip="10.0.0.1") for i in range(120)])
    client = client_for("manager")
    url = reverse("api:token_detail", args=[api.token.pk])
    # when the manager pages through them
    seen, next_url = [], url
    for _page in range(5):  # 3 pages expected; a bound so a broken link cannot loop forever
        if next_url is None:
            break
        with django_assert_max_num_queries(12):
            page = client.get(next_url).content.decode()
        seen += [int(p.split("/")[0]) for p in page.split("/api/v1/tickets/")[1:]]
        older = 'class="page-link" href="?before='
        next_url = url + "?before=" + page.split(older)[1].split('"')[0] if older in page else None
    # then every call once, newest first, 50 a page
    assert seen == list(range(119, -1, -1))
    assert client.get(url + "?before=abc").status_code == 200


def test_list_page_fixed_queries(client_for, make_token, django_assert_max_num_queries):
    make_token()
    client = client_for("manager")
    client.get(reverse("api:tokens"))
    with django_assert_max_num_queries(12) as one:
        client.get(reverse("api:tokens"))
    for n in range(10):
        make_token(name=f"ERP {n}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(reverse("api:tokens")).content.decode()
    assert page.count("data-token=") == 11


def test_call_log_prune_deletes_only_old_rows(api, settings):
    from datetime import timedelta

    from django.utils import timezone

    from api.services import call_log_prune

    settings.API_CALL_LOG_DAYS = 90
    now = timezone.now()
    ApiCallLog.objects.bulk_create([
        ApiCallLog(token=api.token, method="GET", path="/api/v1/tickets/", status_code=200, duration_ms=1,
                   at=now - timedelta(days=days)) for days in (200, 91, 89, 1)])
    assert call_log_prune(now=now, batch=1) == 2
    assert sorted((now - r.at).days for r in ApiCallLog.objects.all()) == [1, 89]
    assert call_log_prune(now=now) == 0
