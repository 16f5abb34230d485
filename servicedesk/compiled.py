"""Queries whose SQL never changes, compiled by the ORM once per process and database.

Building a queryset with EXISTS subqueries, unions and annotations costs the ORM ~1 ms of Python on every
call (resolve, compile); the database then answers in a fraction of that. For a query whose shape never
changes — the ticket list's staff choices, a person's permissions — the SQL and its parameters are kept
after the first call and executed as they are. A query with one per-call value (a person's id) is built
with a stand-in (SENTINEL) that is replaced by the value at each call. The rows are the database's raw
values (no field converters): use it for ids, text and booleans read for their truth.
"""
from collections.abc import Callable

from django.db import connections, router

SENTINEL = -739_011_347  # stands for the per-call value in SQL compiled once (no row has a negative id)
_compiled: dict[tuple[str, str], tuple[str, tuple]] = {}


def compiled_rows(key: str, model, build: Callable, value=None) -> list[tuple]:
    """The rows of `build(SENTINEL)` (a values_list queryset of `model`), its SQL compiled on the first call in
    this process for the database `model` reads from; `value` goes where SENTINEL stood. `key` names the
    query's shape: two shapes need two keys."""
    alias = router.db_for_read(model)
    entry = _compiled.get((key, alias))
    if entry is None:
        sql, params = build(SENTINEL).query.get_compiler(using=alias).as_sql()
        entry = _compiled[(key, alias)] = (sql, tuple(params))
    sql, params = entry
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [value if p == SENTINEL else p for p in params])
        return cursor.fetchall()
