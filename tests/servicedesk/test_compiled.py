"""servicedesk.compiled: a query's SQL compiled once per process gives what the ORM gives for every
call (issue 14: the ticket page, the session and the signed-in person are read this way on each
request)."""
import threading

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.models import Session
from django.db import connection, connections
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import Customer
from servicedesk import compiled
from servicedesk.sessions import SessionStore

pytestmark = pytest.mark.django_db


def _customers(customer_id):
    return Customer.objects.select_related("region").prefetch_related("phones").filter(pk=customer_id)


def _fields(c):
    return (c.pk, c.name, c.created_at, c.region_id, [p.number for p in c.phones.all()])


def test_objects_equal_the_orms_for_each_value_and_compile_once(customer_factory, monkeypatch):
    a, b = customer_factory("Ann"), customer_factory("Bo", phone="13900000999")
    monkeypatch.setattr(compiled, "VERIFY", False)  # count the compiles this module makes itself
    compiles = []
    real = SQLCompiler.as_sql
    monkeypatch.setattr(SQLCompiler, "as_sql", lambda self, *args, **kw: compiles.append(1) or real(self, *args, **kw))
    key = "test.customers.once"
    got = []
    for customer in (a, b, a):
        with CaptureQueriesContext(connection) as ctx:
            rows = compiled.compiled_objects(key, _customers, customer.pk)
            assert [_fields(c) for c in rows] == [_fields(c) for c in _customers(customer.pk)]
        got.append(rows[0].name)
        assert len(ctx.captured_queries) == 4  # ours (customer + phones) and the ORM's own (the same two)
    assert got == ["Ann", "Bo", "Ann"]
    # Ours compiled the customer once (the first call); the ORM's list() three times; each phone prefetch once.
    assert len(compiles) == 1 + 3 + 6
    assert compiled.compiled_objects(key, _customers, 10**12) == []


def test_a_builder_that_reads_more_than_its_arguments_is_caught(customer_factory):
    customer = customer_factory("Ann")
    assert compiled.VERIFY  # tests/conftest.py
    state = {"name": "Ann"}

    def by_name_too(customer_id):
        return Customer.objects.filter(pk=customer_id, name=state["name"])

    assert [c.pk for c in compiled.compiled_objects("test.customers.drift", by_name_too, customer.pk)] == [customer.pk]
    state["name"] = "Bo"
    with pytest.raises(AssertionError, match="depend on its arguments only"):
        compiled.compiled_objects("test.customers.drift", by_name_too, customer.pk)


def test_text_values_and_ids_too_large_for_any_row(customer_factory):
    customer = customer_factory("Ann")

    def by_name(name):
        return Customer.objects.filter(name=name)

    assert [c.pk for c in compiled.compiled_objects("test.customers.name", by_name, "Ann")] == [customer.pk]
    assert compiled.compiled_objects("test.customers.name", by_name, "Bo") == []
    with CaptureQueriesContext(connection) as ctx:
        assert compiled.compiled_objects("test.customers.id", _customers, 2**63) == []
    assert ctx.captured_queries == []


@pytest.mark.django_db(transaction=True)
def test_another_thread_reads_on_its_own_connection(customer_factory):
    customer = customer_factory("Ann")
    key = "test.customers.thread"
    assert compiled.compiled_objects(key, _customers, customer.pk)[0].name == "Ann"  # compiled on this thread
    seen, errors = [], []

    def other():
        try:
            seen.append(compiled.compiled_objects(key, _customers, customer.pk)[0].name)
        except Exception as exc:  # a connection shared across threads raises DatabaseError
            errors.append(exc)
        finally:
            connections.close_all()

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert errors == [] and seen == ["Ann"]


def test_signed_in_request_reads_session_and_person_once_each(client, personas):
    client.force_login(personas.agent)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/tickets/").status_code == 200
    sqls = [q["sql"] for q in ctx.captured_queries]
    assert sum('FROM "django_session"' in s for s in sqls) == 1
    assert sum('FROM "auth_user"' in s and '"auth_user"."id" = ' in s for s in sqls) >= 1


def test_session_store_reads_live_sessions_only(personas):
    store = SessionStore()
    store[SESSION_KEY] = str(personas.agent.pk)
    store.create()
    key = store.session_key
    assert SessionStore(key).load()[SESSION_KEY] == str(personas.agent.pk)
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timezone.timedelta(seconds=1))
    expired = SessionStore(key)
    assert expired.load() == {} and expired.session_key is None
    assert SessionStore("no-such-session-key-00").load() == {}


def test_the_signed_in_person_is_read_as_django_reads_them(client, personas):
    from accounts.backends import OneQueryModelBackend

    backend = OneQueryModelBackend()
    assert backend.get_user(str(personas.agent.pk)) == personas.agent
    assert backend.get_user("not-a-number") is None
    assert backend.get_user(str(10**30)) is None
    get_user_model().objects.filter(pk=personas.agent.pk).update(is_active=False)
    assert backend.get_user(personas.agent.pk) is None
