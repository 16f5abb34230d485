"""Tokens: 401 without or with a bad/revoked token, 403 without the endpoint's scope, every call logged,
the per-token rate limit (429), oversize bodies (413), errors in the caller's language."""
import pytest
from django.urls import get_resolver, resolve

from api.models import ApiCallLog, ApiToken
from api.services import token_revoke
from tests.api.conftest import ALL_SCOPES, ApiClient
from tests.api.endpoints import ENDPOINTS, World

pytestmark = pytest.mark.django_db

@pytest.fixture
def world(customer_factory, ticket_factory, personas):
    return World(customer_factory, ticket_factory, personas)


def _call(client, endpoint, world, path=None):
    path = path or endpoint.path(world)
    if endpoint.method == "get":
        return client.get(path)
    return client.post(path, endpoint.body(world))


def test_every_endpoint_is_listed(world):
    # given the API's URL patterns (the schema, docs page and catch-all 404 are not token endpoints)
    names = {p.name for p in get_resolver("api.urls").url_patterns if str(p.pattern).startswith("v1/")}
    names -= {"schema", "docs", "not_found"}
    # then each, with each of its methods, is in tests/api/endpoints.py
    listed = {(resolve(e.path(world).split("?")[0]).url_name, e.method) for e in ENDPOINTS}
    assert {name for name, _method in listed} == names
    for name, view in [(p.name, p.callback) for p in get_resolver("api.urls").url_patterns if p.name in names]:
        for method in ("get", "post", "put", "patch", "delete"):
            if hasattr(getattr(view, "view_class", None), method):
                assert (name, method) in listed, (name, method)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_no_token_is_401(endpoint, world):
    response = _call(ApiClient(None), endpoint, world)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_wrong_or_revoked_token_is_401(endpoint, world, api_for, personas):
    # given a made-up token, a malformed header and a revoked token
    revoked = api_for()
    token_revoke(token=revoked.token, revoked_by=personas.manager)
    for client in (ApiClient("sd_deadbeef_notarealsecret"), ApiClient("x y"), revoked):
        # when
        response = _call(client, endpoint, world)
        # then
        assert response.status_code == 401, client.headers
        assert response.json()["error"]["code"] in ("invalid_token", "authentication_failed", "not_authenticated")


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_missing_scope_is_403_and_nothing_changes(endpoint, world, api_for):
    from tickets.models import TicketEvent

    client = api_for([s for s in ALL_SCOPES if s != endpoint.scope])
    path = endpoint.path(world)
    events = TicketEvent.objects.count()
    response = _call(client, endpoint, world, path)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "missing_scope"
    assert endpoint.scope in response.json()["error"]["message"]
    assert TicketEvent.objects.count() == events


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_only_its_scope_is_enough(endpoint, world, api_for):
    if endpoint.name == "calls_ended":  # the exchange reports the ring first
        from telephony.services import call_ringing

        call_ringing(call_id="c-1", caller="13812345678", extension="8001")
    response = _call(api_for([endpoint.scope]), endpoint, world)
    assert response.status_code in (200, 201), response.content


def test_every_call_is_logged_with_token_status_and_address(api, world):
    # given
    before = ApiCallLog.objects.count()
    # when: a success, a 404 and a 400
    api.get(f"/api/v1/tickets/{world.ticket.pk}/")
    api.get("/api/v1/tickets/999999/")
    api.get("/api/v1/tickets/?status=nonsense")
    ApiClient(None).get("/api/v1/tickets/")
    # then
    rows = list(ApiCallLog.objects.order_by("id")[before:])
    assert [(r.method, r.status_code) for r in rows] == [("GET", 200), ("GET", 404), ("GET", 400), ("GET", 401)]
    assert [r.token_id for r in rows] == [api.token.pk] * 3 + [None]
    assert rows[0].path == f"/api/v1/tickets/{world.ticket.pk}/" and rows[0].client_ip == "127.0.0.1"
    assert all(r.duration_ms >= 0 for r in rows)
    api.token.refresh_from_db()
    assert api.token.last_used_at is not None


def test_rate_limit_per_token_is_429_json(api_for, world):
    # given two tokens, one allowed 3 calls a minute
    slow, other = api_for(rate_limit_per_minute=3), api_for()
    # when it makes a fourth call
    codes = [slow.get("/api/v1/tickets/").status_code for _ in range(4)]
    # then it is refused with a JSON error and Retry-After; the other token is not affected
    assert codes == [200, 200, 200, 429]
    refused = slow.get("/api/v1/tickets/")
    assert refused.json()["error"]["code"] == "rate_limited" and 0 < int(refused["Retry-After"]) <= 61
    assert other.get("/api/v1/tickets/").status_code == 200


def test_oversize_body_is_413(api, world, settings):
    settings.API_MAX_BODY_BYTES = 1000
    response = api.post("/api/v1/tickets/", raw='{"subject": "' + "x" * 2000 + '"}')
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_errors_in_the_requested_language(api_for, world):
    zh = api_for(language="zh-hans")
    response = zh.post("/api/v1/tickets/", {"customer": world.customer.pk, "kind": "repair"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["subject"] == ["该字段是必填项。"]
    response = zh.post(f"/api/v1/tickets/{world.ticket.pk}/status/", {"status": "cancelled"})
    assert response.json()["error"]["code"] == "reason_required"
    assert response.json()["error"]["message"] == "请填写取消原因。"  # the service's own message, translated
    assert ApiClient(None, "zh-hans").get("/api/v1/tickets/").json()["error"]["message"] == "身份认证信息未提供。"


def test_secret_is_stored_only_as_a_hash(make_token):
    issued = make_token()
    row = ApiToken.objects.get(pk=issued.token.pk)
    assert issued.secret.startswith(f"sd_{row.prefix}_")
    assert issued.secret not in str(ApiToken.objects.filter(pk=row.pk).values().first())
    assert len(row.secret_hash) == 64


def test_token_acts_as_its_own_system_account_that_cannot_sign_in(make_token, client):
    issued = make_token(name="ERP")
    user = issued.token.acting_user
    assert not user.is_active and not user.has_usable_password()
    assert user.get_full_name() == "API · ERP"
    assert not client.post("/login/", {"username": user.username, "password": ""}).wsgi_request.user.is_authenticated
