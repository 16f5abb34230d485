"""Who may open what: every URL × every persona, in one table (domain.md §1).

Each area appends its rows to ROWS: (url_name, kwargs_factory, {persona: expected status}, method).
- kwargs_factory(world) returns the URL kwargs; `world` builds shared objects lazily (world.customer,
  world.asset, world.personas, world.customer_factory) — add a property there if your area needs one.
- persona None is the anonymous visitor: they must always be sent to the login page (302 → login).
- expected may be one status or a tuple of acceptable ones (e.g. home redirects by role).
Personas: frontdesk, agent, supervisor, technician, manager, outsider (signed in, no role).
"""
from datetime import date

import pytest
from django.urls import get_resolver, reverse

pytestmark = pytest.mark.django_db



@pytest.fixture(autouse=True)
def _fast_personas(settings, monkeypatch):
    # ~100 cases each create personas: PBKDF2 would cost minutes here, and re-syncing every role's
    # permissions per user is redundant (post_migrate synced them; test_roles_and_home checks that).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.contrib.auth.models import Group

    from servicedesk import roles

    original = roles.sync_roles

    def sync_once():
        # A transactional test's flush deletes the groups: then (and only then) sync for real.
        if Group.objects.filter(name__in=roles.ROLE_ORDER).count() != len(roles.ROLE_ORDER):
            original()

    monkeypatch.setattr(roles, "sync_roles", sync_once)


PERSONAS = [None, "frontdesk", "agent", "supervisor", "technician", "manager", "outsider"]


class World:
    """Objects the URLs need, built on first use."""

    def __init__(self, personas, customer_factory):
        self.personas = personas
        self.customer_factory = customer_factory
        self._cache = {}

    def _once(self, key, build):
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    @property
    def customer(self):
        return self._once("customer", lambda: self.customer_factory(name="Matrix Customer"))

    @property
    def customer_import(self):
        from django.core.files.uploadedfile import SimpleUploadedFile

        from customers.importer import import_start

        return self._once("import", lambda: import_start(
            f=SimpleUploadedFile("c.csv", "姓名,电话\n王芳,13812345678\n".encode(), "text/csv"),
            actor=self.personas.manager))

    @property
    def asset(self):
        from customers.services import asset_create

        return self._once(
            "asset",
            lambda: asset_create(customer=self.customer, created_by=self.personas.frontdesk, product="Printer", install_date=date(2025, 1, 1)),
        )


def no_kwargs(world):
    return {}


def customer_pk(world):
    return {"pk": world.customer.pk}


def asset_pk(world):
    return {"pk": world.asset.pk}


def import_pk(world):
    return {"pk": world.customer_import.pk}


ANY_SIGNED_IN = {r: 200 for r in PERSONAS if r}
DESK = {"frontdesk": 200, "agent": 200, "supervisor": 200, "manager": 200, "technician": 403, "outsider": 403}
SUPERVISION = {"frontdesk": 403, "agent": 403, "supervisor": 200, "manager": 200, "technician": 403, "outsider": 403}

ROWS = [
    # servicedesk
    ("home", no_kwargs, {r: (200, 302) for r in PERSONAS if r}, "get"),
    ("notifications", no_kwargs, ANY_SIGNED_IN, "get"),
    ("notifications_mark_read", no_kwargs, {r: 302 for r in PERSONAS if r}, "post"),
    # customers (front desk)
    ("customers:desk", no_kwargs, DESK, "get"),
    ("customers:search", no_kwargs, DESK, "get"),
    ("customers:create", no_kwargs, DESK, "get"),
    ("customers:detail", customer_pk, DESK, "get"),
    ("customers:edit", customer_pk, DESK, "get"),
    ("customers:owner", customer_pk, SUPERVISION, "get"),
    ("customers:merge", customer_pk, SUPERVISION, "get"),
    # Confirm a self-registered customer (POST only; a confirmed customer stays as it is): whoever may edit.
    ("customers:verify", customer_pk, {role: 302 if code == 200 else code for role, code in DESK.items()}, "post"),
    ("customers:asset_create", customer_pk, DESK, "get"),
    ("customers:asset_edit", asset_pk, DESK, "get"),
    ("customers:contact_create", no_kwargs, DESK, "get"),
    ("customers:tallies", no_kwargs, {**DESK, "agent": 403}, "get"),
    ("customers:export", no_kwargs, SUPERVISION, "get"),
    # issue 19 (PIPL): a reveal is a POST by anyone who opens customers (no phone named here: 404); the
    # access log and a person's data requests are the managers'
    ("customers:reveal", customer_pk, {**{r: 404 for r, c in DESK.items() if c == 200}, "technician": 403,
                                       "outsider": 403}, "post"),
    ("customers:access_log", no_kwargs, {**{r: 403 for r in PERSONAS if r}, "manager": 200}, "get"),
    ("customers:subject", customer_pk, {**{r: 403 for r in PERSONAS if r}, "manager": 200}, "get"),
    ("customers:retention", no_kwargs, {**{r: 403 for r in PERSONAS if r}, "manager": 200}, "get"),
    ("customers:imports", no_kwargs, {**{r: 403 for r in PERSONAS if r}, "manager": 200}, "get"),
    ("customers:import_detail", import_pk, {**{r: 403 for r in PERSONAS if r}, "manager": 200}, "get"),
    ("customers:import_status", import_pk, {**{r: 403 for r in PERSONAS if r}, "manager": 200}, "get"),
    ("customers:import_log", import_pk, {**{r: 403 for r in PERSONAS if r}, "manager": 200}, "get"),
    # issue 17: a key account's service plan — its account manager (none here), supervisors, managers
    ("customers:service_plan", customer_pk, SUPERVISION, "get"),
    # accounts: lifting sign-in lockouts is for supervisors and managers
    ("accounts:lockouts", no_kwargs, {**{r: 403 for r in PERSONAS if r}, "supervisor": 200, "manager": 200}, "get"),
    ("accounts:lockout_unlock", no_kwargs, {**{r: 403 for r in PERSONAS if r}, "supervisor": 302, "manager": 302}, "post"),
    ("accounts:password_change", no_kwargs, ANY_SIGNED_IN, "get"),
    ("accounts:two_factor", no_kwargs, ANY_SIGNED_IN, "get"),
    # api: tokens are the manager's; the API's docs page and schema for any signed-in staff member
    ("api:tokens", no_kwargs, {**{r: 403 for r in PERSONAS if r}, "manager": 200}, "get"),
    ("api:token_create", no_kwargs, {**{r: 403 for r in PERSONAS if r}, "manager": 200}, "get"),
    ("api:docs", no_kwargs, ANY_SIGNED_IN, "get"),
    ("api:schema", no_kwargs, ANY_SIGNED_IN, "get"),
    # issue 17: "my department's complaints" — any signed-in staff member; it lists only their departments'
    ("tickets:department_complaints", no_kwargs, ANY_SIGNED_IN, "get"),
    # issue 19: tags — everyone who sees tickets reads the counts (managers also curate the list there);
    # canned replies — everyone who answers customers keeps their own (technicians and outsiders do not)
    ("tickets:tags", no_kwargs, {**{r: 200 for r in PERSONAS if r}, "technician": 403, "outsider": 403}, "get"),
    ("macros:list", no_kwargs, {**{r: 200 for r in PERSONAS if r}, "technician": 403, "outsider": 403}, "get"),
    ("macros:create", no_kwargs, {**{r: 200 for r in PERSONAS if r}, "technician": 403, "outsider": 403}, "get"),
    # bulk changes: whoever works or tags tickets gets the bar (front desk: tags only)
    ("tickets:view_counts", no_kwargs, {**{r: 200 for r in PERSONAS if r}, "technician": 403, "outsider": 403}, "get"),
    ("tickets:bulk_bar", no_kwargs, {**{r: 200 for r in PERSONAS if r}, "technician": 403, "outsider": 403}, "get"),
]


def _cases():
    for url_name, factory, expected, method in ROWS:
        for persona in PERSONAS:
            want = 302 if persona is None else expected[persona]
            yield pytest.param(url_name, factory, persona, want, method, id=f"{url_name}-{persona or 'anonymous'}")


@pytest.mark.parametrize("url_name, factory, persona, expected, method", list(_cases()))
def test_permission_matrix(url_name, factory, persona, expected, method, client_for, personas, customer_factory):
    # given
    world = World(personas, customer_factory)
    url = reverse(url_name, kwargs=factory(world))
    client = client_for(persona)
    # when
    response = getattr(client, method)(url)
    # then
    allowed = expected if isinstance(expected, tuple) else (expected,)
    assert response.status_code in allowed, f"{persona} {method.upper()} {url}: {response.status_code}"
    if persona is None:
        assert response["Location"].startswith(reverse("login")), "anonymous must be sent to the login page"


def test_every_customers_url_is_in_the_matrix():
    covered = {row[0] for row in ROWS}
    names = set()
    for pattern in get_resolver("customers.urls").url_patterns:
        names.add(f"customers:{pattern.name}")
    assert names <= covered, f"missing from the permission matrix: {sorted(names - covered)}"
