"""Queries whose SQL never changes, compiled by the ORM once per process and database.

Building a queryset with EXISTS subqueries and annotations costs the ORM ~1 ms of Python on every call
(resolve, compile); the database then answers in a fraction of that. For a query with no per-call
values — the ticket list's staff choices, read on every list page — the SQL and its parameters are
kept after the first call and executed as they are. The rows are the database's raw values (no field
converters): use it for ids, text and booleans read for their truth.
"""
from collections.abc import Callable

from django.db import connections, router

_compiled: dict[tuple[str, str], tuple[str, tuple]] = {}


def compiled_rows(key: str, model, build: Callable) -> list[tuple]:
    """The rows of `build()` (a values_list queryset of `model` with no per-call values), its SQL compiled
    on the first call in this process for the database `model` reads from."""
    alias = router.db_for_read(model)
    entry = _compiled.get((key, alias))
    if entry is None:
        sql, params = build().query.get_compiler(using=alias).as_sql()
        entry = _compiled[(key, alias)] = (sql, tuple(params))
    sql, params = entry
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
