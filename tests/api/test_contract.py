"""The API's actual responses match its published OpenAPI schema (drf-spectacular's output, served at
/api/v1/schema/): every endpoint, its success and its error answers, validated with jsonschema.

The schema is OpenAPI 3.0: `nullable` becomes JSON Schema's null type, and objects are closed
(additionalProperties false) so an undocumented field in a response fails here too."""
import re

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from tests.api.conftest import ALL_SCOPES, ApiClient
from tests.api.endpoints import ENDPOINTS, World

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client_for):
    response = client_for("agent").get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _json_schema(node):
    """OpenAPI 3.0 schema object → JSON Schema 2020-12."""
    if isinstance(node, list):
        return [_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _json_schema(v) for k, v in node.items() if k not in ("nullable", "readOnly", "writeOnly", "example")}
    if out.get("type") == "object" and "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if node.get("nullable"):
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        return {"anyOf": [out, {"type": "null"}]}
    return out


class Contract:
    def __init__(self, schema):
        self.schema = schema
        converted = _json_schema(schema)
        self.registry = Registry().with_resource("urn:api", Resource.from_contents(
            {"$schema": "https://json-schema.org/draft/2020-12/schema", **converted}))
        self.paths = [(re.compile("^" + re.sub(r"\{[^}]+\}", r"[^/]+", p) + "$"), p) for p in schema["paths"]]
        self.checked = set()

    def check(self, method, path, response):
        bare = path.split("?")[0]
        template = next((t for rx, t in self.paths if rx.match(bare)), None)
        assert template, f"{path} is not in the schema"
        operation = self.schema["paths"][template][method]
        documented = operation["responses"]
        assert str(response.status_code) in documented, \
            f"{method.upper()} {template} answered {response.status_code}, documented: {sorted(documented)}"
        pointer = f"/paths/{template.replace('~', '~0').replace('/', '~1')}/{method}/responses/" \
                  f"{response.status_code}/content/application~1json/schema"
        validator = Draft202012Validator({"$ref": f"urn:api#{pointer}"}, registry=self.registry,
                                        format_checker=Draft202012Validator.FORMAT_CHECKER)
        errors = sorted(validator.iter_errors(response.json()), key=lambda e: e.path)
        assert not errors, f"{method.upper()} {path} {response.status_code}: " + "; ".join(
            f"{list(e.path)}: {e.message}" for e in errors[:5])
        self.checked.add((method, template, response.status_code))


def test_every_response_matches_the_schema(schema, api_for, customer_factory, ticket_factory, personas, settings):
    from tickets.models import FaultCause

    contract = Contract(schema)
    world = World(customer_factory, ticket_factory, personas)
    full, nobody = api_for(), ApiClient(None)
    for e in ENDPOINTS:
        path = e.path(world)
        call = (lambda c, p=path, e=e: c.get(p)) if e.method == "get" else \
            (lambda c, p=path, e=e: c.post(p, e.body(world)))
        # success, 401, 403
        ok = call(full)
        assert ok.status_code in (200, 201), (e.name, ok.content)
        contract.check(e.method, path, ok)
        contract.check(e.method, path, call(nobody))
        contract.check(e.method, path, call(api_for([s for s in ALL_SCOPES if s != e.scope])))
        # 400: a wrong type in the body, or a wrong query parameter
        if e.method == "post":
            contract.check("post", path, full.post(path, {"customer": "x", "status": 5, "name": [], "body": {},
                                                          "call_id": None, "phones": "x", "kind": 1}))
        elif "?" in path or path.rstrip("/").endswith(("customers", "tickets", "workorders")):
            contract.check("get", path, full.get(path.split("?")[0] + "?phone=x&status=x&ticket=x&customer=x"))
        # 404 on the id endpoints
        if re.search(r"/\d+/", path):
            missing = re.sub(r"/\d+/", "/99999999/", path, count=1)
            contract.check(e.method, missing,
                           full.get(missing) if e.method == "get" else full.post(missing, e.body(world)))
    # 409: a duplicate phone and a stale version
    contract.check("post", "/api/v1/customers/", full.post("/api/v1/customers/", {
        "name": "Dup", "phones": [{"number": "13812345678"}]}))
    contract.check("post", f"/api/v1/tickets/{world.ticket.pk}/status/", full.post(
        f"/api/v1/tickets/{world.ticket.pk}/status/", {"status": "in_progress", "expected_version": 999}))
    # 400 from a service rule (an illegal move); a resolve with a fault cause
    FaultCause.objects.create(name="磨损", code="worn")
    contract.check("post", f"/api/v1/tickets/{world.ticket.pk}/status/", full.post(
        f"/api/v1/tickets/{world.ticket.pk}/status/", {"status": "new"}))
    contract.check("post", f"/api/v1/tickets/{world.ticket.pk}/status/", full.post(
        f"/api/v1/tickets/{world.ticket.pk}/status/", {"status": "resolved", "fault_cause": "worn"}))
    # 413 and 429
    settings.API_MAX_BODY_BYTES = 100
    contract.check("post", "/api/v1/tickets/", full.post("/api/v1/tickets/", raw='{"subject": "' + "x" * 200 + '"}'))
    limited = api_for(rate_limit_per_minute=1)
    limited.get("/api/v1/tickets/")
    contract.check("get", "/api/v1/tickets/", limited.get("/api/v1/tickets/"))
    # then every operation in the schema was exercised
    operations = {(m, p) for p, item in schema["paths"].items() for m in item}
    exercised = {(m, p) for m, p, _status in contract.checked}
    assert operations == exercised, operations - exercised
    statuses = {s for _m, _p, s in contract.checked}
    assert {200, 201, 400, 401, 403, 404, 409, 413, 429} <= statuses


def test_schema_names_the_bearer_scheme_and_every_scope_is_documented(schema):
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "An API token created by a manager (sd_…)."}
    assert all(op.get("security") == [{"bearerAuth": []}] for item in schema["paths"].values() for op in item.values())


def test_schema_and_docs_are_for_signed_in_staff(client, client_for):
    assert client.get("/api/v1/schema/").status_code == 302
    assert client.get("/api/v1/docs/").status_code == 302
    page = client_for("frontdesk").get("/api/v1/docs/")
    assert page.status_code == 200 and b"swagger-ui" in page.content and b"<style>" not in page.content
    script = client_for("frontdesk").get("/api/v1/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
